using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;
using Ferry.Cli.Infrastructure;
using Ferry.Client;
using Ferry.Protocol;
using Spectre.Console;

namespace Ferry.Cli.Commands.Bench;

/// <summary><c>ferry bench echo</c>: N connections × K requests in flight of SIZE-byte echoes, for DURATION seconds.</summary>
internal static class BenchEchoCommand
{
    public static Command Create(CliContext cli)
    {
        var connect = new ClientFactory(cli);
        var connections = new Option<int>("--connections", "-c") { Description = "Concurrent connections", DefaultValueFactory = _ => 100 };
        var inflight = new Option<int>("--inflight", "-k") { Description = "Requests in flight per connection", DefaultValueFactory = _ => 1 };
        var size = new Option<int>("--size", "-s") { Description = "Message size in bytes" + Sizes.Hint, CustomParser = Sizes.ParseInt32, DefaultValueFactory = _ => 32 };
        var duration = new Option<double>("--duration", "-d") { Description = "Seconds to measure" + Durations.Hint, CustomParser = Durations.ParseSeconds, DefaultValueFactory = _ => 10 };
        var warmup = new Option<double>("--warmup") { Description = "Seconds of load before measuring" + Durations.Hint, CustomParser = Durations.ParseSeconds, DefaultValueFactory = _ => 1 };
        var json = CommonOptions.Json();
        var command = new Command("echo", "Echo round trips: messages/s, MB/s and latency percentiles")
        {
            connections, inflight, size, duration, warmup, json,
        };
        connect.AddTo(command);
        command.SetAction(async (result, ct) =>
        {
            var settings = new EchoBenchSettings(result.GetValue(connections), result.GetValue(inflight), result.GetValue(size),
                result.GetValue(duration), result.GetValue(warmup));
            if (settings.Connections < 1 || settings.Inflight < 1 || settings.Size < 0 || settings.Duration <= 0)
            {
                throw new CliUsageException("--connections and --inflight must be at least 1, --size at least 0, --duration above 0");
            }
            var report = await RunAsync(connect.Options(result), settings, ct).ConfigureAwait(false);
            if (result.GetValue(json))
            {
                cli.Out.WriteLine(JsonSerializer.Serialize(report, BenchJsonContext.Default.EchoBenchReport));
            }
            else
            {
                Render(cli, report);
            }
            return report.Errors == 0 ? ExitCodes.Ok : ExitCodes.Error;
        });
        return command;
    }

    internal static async Task<EchoBenchReport> RunAsync(FerryClientOptions options, EchoBenchSettings settings, CancellationToken ct)
    {
        var clients = new FerryClient[settings.Connections];
        try
        {
            var connectTimes = new LatencyRecorder();
            for (int i = 0; i < clients.Length; i++)
            {
                long start = Stopwatch.GetTimestamp();
                clients[i] = await FerryClient.ConnectAsync(options, ct).ConfigureAwait(false);
                connectTimes.Record(Stopwatch.GetTimestamp() - start);
            }
            var payload = new byte[settings.Size];
            Random.Shared.NextBytes(payload);
            var recorders = new List<LatencyRecorder>();
            long errors = 0;
            int measuring = 0; // 0 warm-up, 1 measuring, 2 stop
            var workers = new List<Task>();
            foreach (var client in clients)
            {
                for (int k = 0; k < settings.Inflight; k++)
                {
                    var recorder = new LatencyRecorder();
                    recorders.Add(recorder);
                    workers.Add(Task.Run(async () =>
                    {
                        var probe = new EchoProbe { ExpectedSize = payload.Length };
                        while (Volatile.Read(ref measuring) < 2 && !ct.IsCancellationRequested)
                        {
                            long id = client.NextId();
                            probe.Reset();
                            client.Register(id, probe);
                            long start = Stopwatch.GetTimestamp();
                            bool ok;
                            try
                            {
                                await client.Connection.SendAsync<object>(MessageTypes.Echo, id, null, null, payload, ct).ConfigureAwait(false);
                                ok = await probe.WaitAsync().ConfigureAwait(false);
                            }
                            catch (Exception) when (Volatile.Read(ref measuring) == 2 || ct.IsCancellationRequested)
                            {
                                break;
                            }
                            catch (Exception)
                            {
                                Interlocked.Increment(ref errors);
                                break;
                            }
                            finally
                            {
                                client.Unregister(id);
                            }
                            if (Volatile.Read(ref measuring) != 1) continue;
                            if (ok) recorder.Record(Stopwatch.GetTimestamp() - start);
                            else Interlocked.Increment(ref errors);
                        }
                    }, ct));
                }
            }
            await Task.Delay(TimeSpan.FromSeconds(settings.Warmup), ct).ConfigureAwait(false);
            var clock = Stopwatch.StartNew();
            Volatile.Write(ref measuring, 1);
            await Task.Delay(TimeSpan.FromSeconds(settings.Duration), ct).ConfigureAwait(false);
            Volatile.Write(ref measuring, 2);
            var elapsed = clock.Elapsed.TotalSeconds;
            await Task.WhenAll(workers).WaitAsync(TimeSpan.FromSeconds(10), ct).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            var latency = LatencyRecorder.Summarize(recorders);
            var connectLatency = LatencyRecorder.Summarize([connectTimes]);
            double rate = latency.Samples / elapsed;
            return new EchoBenchReport(options.Target.ToString(), settings.Connections, settings.Inflight, settings.Size, Math.Round(elapsed, 3),
                latency.Samples, Interlocked.Read(ref errors), Math.Round(rate), Math.Round(rate * settings.Size / 1e6, 3),
                Math.Round(latency.P50Micros, 1), Math.Round(latency.P99Micros, 1), Math.Round(latency.P999Micros, 1), Math.Round(latency.MaxMicros, 1),
                Math.Round(connectLatency.P50Micros, 1), Math.Round(connectLatency.P99Micros, 1));
        }
        finally
        {
            foreach (var client in clients)
            {
                if (client is not null) await client.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private static void Render(CliContext cli, EchoBenchReport r)
    {
        var table = new Table().Border(TableBorder.Rounded).AddColumn("echo").AddColumn(new TableColumn("result").RightAligned());
        table.AddRow("target", r.Target);
        table.AddRow("connections × in flight", $"{r.Connections} × {r.Inflight}");
        table.AddRow("message size", $"{r.Size} B");
        table.AddRow("messages", $"{r.Messages:N0} in {r.DurationSeconds:0.##} s");
        table.AddRow("[bold]messages/s[/]", $"[bold]{r.MessagesPerSecond:N0}[/]");
        table.AddRow("MB/s (one way)", $"{r.MegabytesPerSecond:0.###}");
        table.AddRow("latency p50 / p99 / p99.9", $"{r.P50Micros:N0} / {r.P99Micros:N0} / {r.P999Micros:N0} µs");
        table.AddRow("latency max", $"{r.MaxMicros:N0} µs");
        table.AddRow("connect p50 / p99", $"{r.ConnectP50Micros:N0} / {r.ConnectP99Micros:N0} µs");
        table.AddRow("errors", r.Errors == 0 ? "0" : $"[red]{r.Errors}[/]");
        cli.WriteTable(table);
    }
}

internal sealed record EchoBenchSettings(int Connections, int Inflight, int Size, double Duration, double Warmup);

internal sealed record EchoBenchReport(string Target, int Connections, int Inflight, int Size, double DurationSeconds, long Messages, long Errors,
    double MessagesPerSecond, double MegabytesPerSecond, double P50Micros, double P99Micros, double P999Micros, double MaxMicros,
    double ConnectP50Micros, double ConnectP99Micros);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(EchoBenchReport))]
internal sealed partial class BenchJsonContext : JsonSerializerContext
{
}
