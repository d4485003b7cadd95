using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Serialization;
using Ferry.Cli.Infrastructure;
using Ferry.Client;
using Ferry.Datagrams;

namespace Ferry.Cli.Commands;

/// <summary><c>ferry time HOST[:PORT]</c>: ask an NTP server for the time (SNTP), show the offset, optionally sync to it.</summary>
internal static class TimeCommand
{
    public static Command Create(CliContext cli)
    {
        var target = new Argument<string>("HOST")
        {
            Description = "An NTP server: host[:port], [v6addr]:port (default port 123) — Ferry's 'serve --ntp' or any public one",
        };
        var samples = new Option<int>("--samples", "-n") { Description = "Requests to make; the one with the least delay is used", DefaultValueFactory = _ => 4 };
        var timeout = new Option<double>("--timeout") { Description = "Seconds to wait for each reply" + Durations.Hint, CustomParser = Durations.ParseSeconds, DefaultValueFactory = _ => 1 };
        var retries = new Option<int>("--retries") { Description = "Times to resend a request that got no reply", DefaultValueFactory = _ => 2 };
        var interval = new Option<double>("--interval") { Description = "Seconds between requests (public servers dislike faster)" + Durations.Hint, CustomParser = Durations.ParseSeconds, DefaultValueFactory = _ => 0.5 };
        var sync = new Option<bool>("--sync") { Description = "Set this machine's clock to the server's (needs root / CAP_SYS_TIME; Administrator on Windows)" };
        var dryRun = new Option<bool>("--dry-run") { Description = "With --sync: show what would be done, change nothing" };
        var slewThreshold = new Option<double>("--slew-threshold")
        {
            Description = "With --sync: offsets below this many milliseconds are slewed (gradual), larger ones stepped (or with a unit: 250ms, 1s)",
            CustomParser = Durations.ParseMilliseconds,
            DefaultValueFactory = _ => SystemClockAdjuster.DefaultSlewThreshold.TotalMilliseconds,
        };
        var json = CommonOptions.Json();
        var command = new Command("time", "Ask an NTP server for the time over UDP (SNTP): its clock, our offset from it and the network delay")
        {
            target, samples, timeout, retries, interval, sync, dryRun, slewThreshold, json,
        };
        command.SetAction(async (result, ct) =>
        {
            // A Host alias of ~/.ferry/config gives its HostName; its Port is Ferry's, not NTP's, so it does not apply.
            var (host, _) = TargetResolver.Resolve(result.GetValue(target), TargetResolver.LoadConfig(), SntpQueryOptions.DefaultPort, usePort: false);
            if (host.IsUnix) throw new CliUsageException("HOST must be host[:port], not a Unix socket");
            var options = new SntpQueryOptions(host.Host, host.Port)
            {
                Samples = result.GetValue(samples),
                Timeout = TimeSpan.FromSeconds(result.GetValue(timeout)),
                Attempts = result.GetValue(retries) + 1,
                Interval = TimeSpan.FromSeconds(result.GetValue(interval)),
            };
            if (options.Samples < 1 || options.Attempts < 1 || options.Timeout <= TimeSpan.Zero || options.Interval < TimeSpan.Zero)
            {
                throw new CliUsageException("--samples must be at least 1, --retries at least 0, --timeout above 0 and --interval at least 0");
            }
            bool doSync = result.GetValue(sync);
            bool dry = result.GetValue(dryRun);
            if (dry && !doSync) throw new CliUsageException("--dry-run goes with --sync: 'ferry time HOST --sync --dry-run'");

            SntpQueryResult measured;
            try
            {
                measured = await SntpClient.QueryAsync(options, ct).ConfigureAwait(false);
            }
            catch (SntpException ex)
            {
                cli.Error.WriteLine($"ferry: {ex.Message}");
                return ex.Failure switch
                {
                    SntpFailure.NoReply => ExitCodes.Timeout,
                    SntpFailure.Refused or SntpFailure.Unresolved => ExitCodes.CannotConnect,
                    SntpFailure.KissOfDeath or SntpFailure.Unsynchronized => ExitCodes.RemoteError,
                    _ => ExitCodes.Error,
                };
            }

            SyncReport? syncReport = null;
            int code = ExitCodes.Ok;
            string? syncLine = null;
            if (doSync)
            {
                var plan = SystemClockAdjuster.Plan(measured.Offset, TimeSpan.FromMilliseconds(result.GetValue(slewThreshold)));
                var missing = SystemClockAdjuster.MissingPrivilege();
                bool applied = false;
                if (dry)
                {
                    syncLine = $"dry run: would {plan.Describe()}; " + (missing is null ? "this process has the privilege to do it" : $"but it could not: {missing}");
                }
                else if (missing is not null)
                {
                    cli.Error.WriteLine($"ferry: clock not changed: {missing}");
                    code = ExitCodes.AuthFailed;
                }
                else
                {
                    try
                    {
                        SystemClockAdjuster.Apply(plan);
                        applied = true;
                        syncLine = $"done: {(plan.Slew ? "slewing" : "stepped")} the clock by {plan.Offset.ToHuman()}";
                    }
                    catch (UnauthorizedAccessException ex)
                    {
                        cli.Error.WriteLine($"ferry: clock not changed: {ex.Message}");
                        code = ExitCodes.AuthFailed;
                    }
                }
                syncReport = new SyncReport(plan.Slew ? "slew" : "step", plan.Offset.TotalSeconds, dry, applied, missing);
            }

            if (result.GetValue(json))
            {
                cli.Out.WriteLine(JsonSerializer.Serialize(ToReport(options, measured, syncReport), TimeJsonContext.Default.TimeReport));
            }
            else
            {
                Render(cli, options, measured);
                if (syncLine is not null) cli.Out.WriteLine(syncLine);
            }
            return code;
        });
        return command;
    }

    private static void Render(CliContext cli, SntpQueryOptions options, SntpQueryResult r)
    {
        var reply = r.Reply;
        var ahead = r.Offset.Raw >= 0 ? "the server's clock is ahead of this one" : "the server's clock is behind this one";
        cli.Out.WriteLine($"server   {options.Host} ({r.Server}) NTPv{reply.Version}, stratum {reply.Stratum}, reference {reply.ReferenceIdText}");
        cli.Out.WriteLine($"time     {r.ServerTime:yyyy-MM-dd HH:mm:ss.ffffff} UTC");
        cli.Out.WriteLine($"offset   {r.Offset.ToHuman()}  ({ahead})");
        cli.Out.WriteLine($"delay    {r.Delay.ToHuman(signed: false)}  (round trip; least of {r.Samples.Count} samples, {r.RequestsSent} requests sent)");
    }

    private static TimeReport ToReport(SntpQueryOptions options, SntpQueryResult r, SyncReport? sync) => new(
        options.Host, r.Server.ToString(), r.Reply.Version, r.Reply.Stratum, r.Reply.ReferenceIdText, (int)r.Reply.Leap,
        r.ServerTime.ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ", System.Globalization.CultureInfo.InvariantCulture),
        r.Offset.TotalSeconds, r.Delay.TotalSeconds, r.Reply.RootDelay.TotalSeconds, r.Reply.RootDispersion.TotalSeconds,
        r.Samples.Select(s => new SampleReport(s.Offset.TotalSeconds, s.Delay.TotalSeconds)).ToList(), r.RequestsSent, sync);
}

internal sealed record SampleReport(double OffsetSeconds, double DelaySeconds);

internal sealed record SyncReport(string Action, double OffsetSeconds, bool DryRun, bool Applied, string? MissingPrivilege);

internal sealed record TimeReport(string Host, string Address, int Version, int Stratum, string ReferenceId, int Leap, string ServerTime,
    double OffsetSeconds, double DelaySeconds, double RootDelaySeconds, double RootDispersionSeconds, List<SampleReport> Samples,
    int RequestsSent, SyncReport? Sync);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(TimeReport))]
internal sealed partial class TimeJsonContext : JsonSerializerContext
{
}
