using System.Diagnostics.Metrics;
using System.Text;
using System.Text.Json;
using Ferry.Client;
using Ferry.Server;
using Ferry.Contracts.Stats;
using Ferry.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Ferry.Tests.Services.Stats;

public class StatsServiceTests
{
    [Fact]
    public async Task StatsCountConnectionsRequestsAndBytes()
    {
        await using var server = await TestServer.StartAsync();
        var client = await server.ConnectAsync();
        await client.EchoAsync("one"u8.ToArray());
        await client.EchoAsync("two"u8.ToArray());

        var stats = await client.GetStatsAsync();

        Assert.Equal(1, stats.Connections.Current);
        Assert.Equal(1, stats.Connections.Total);
        Assert.Equal(0, stats.Connections.Refused);
        Assert.Equal(2, stats.Requests["echo"]);
        Assert.Equal(1, stats.Requests["stats"]);
        Assert.True(stats.BytesIn > 6, $"bytes in {stats.BytesIn}");
        Assert.True(stats.BytesOut > 6, $"bytes out {stats.BytesOut}");
        Assert.Equal(0, stats.Counters[ServerStats.ExecProcessesRunning]);
        Assert.Equal(0, stats.Counters[ServerStats.TransfersInProgress]);
        Assert.True(stats.Memory.WorkingSetBytes > 1024 * 1024);
        Assert.Equal(Environment.ProcessId, stats.Pid);
        Assert.True(stats.UptimeSeconds >= 0);
    }

    [Fact]
    public async Task ClosedAndRefusedConnectionsAreCounted()
    {
        await using var server = await TestServer.StartAsync();
        await using (var first = await FerryClient.ConnectAsync(server.ClientOptions()))
        {
            await first.EchoAsync("x"u8.ToArray());
        }
        // A peer that skips hello is refused.
        await using (var stream = await server.OpenRawStreamAsync())
        {
            await stream.WriteAsync(RawFrames.Frame("""{"type":"echo","id":1}"""));
            var error = await RawFrames.ReadFrameAsync(stream);
            Assert.NotNull(error);
        }
        var client = await server.ConnectAsync();
        var stats = await WaitForAsync(client, s => s.Connections.Current == 1 && s.Connections.Refused == 1);
        Assert.Equal(3, stats.Connections.Total);
        Assert.Equal(1, stats.Requests["echo"]); // the refused peer's echo never reached the service
    }

    [Fact]
    public async Task ServicesBumpNamedCounters()
    {
        StatsCounter? running = null;
        await using var server = await TestServer.StartAsync(build: b =>
        {
            running = b.Stats.Counter(ServerStats.ExecProcessesRunning);
            b.Stats.Counter("chat.rooms", "Rooms open").Add(3);
        });
        running!.Increment();
        running.Increment();
        running.Decrement();
        var client = await server.ConnectAsync();
        var stats = await client.GetStatsAsync();
        Assert.Equal(1, stats.Counters[ServerStats.ExecProcessesRunning]);
        Assert.Equal(3, stats.Counters["chat.rooms"]);
    }

    [Fact]
    public async Task InstrumentsArePublishedOnTheFerryServerMeter()
    {
        await using var server = await TestServer.StartAsync();
        var client = await server.ConnectAsync();
        await client.EchoAsync("hi"u8.ToArray());
        var meter = server.Server.Services.GetRequiredService<ServerStats>().Meter;
        var seen = new Dictionary<string, double>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter, meter)) l.EnableMeasurementEvents(instrument);
        };
        void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var name = instrument.Name;
            foreach (var tag in tags) name += $"[{tag.Key}={tag.Value}]";
            seen[name] = value;
        }
        listener.SetMeasurementEventCallback<long>((i, v, t, _) => Record(i, v, t));
        listener.SetMeasurementEventCallback<double>((i, v, t, _) => Record(i, v, t));
        listener.Start();
        listener.RecordObservableInstruments();

        Assert.Equal(ServerStats.MeterName, meter.Name);
        Assert.Equal(1, seen["ferry.connections.current"]);
        Assert.Equal(1, seen["ferry.requests[type=echo]"]);
        Assert.True(seen["ferry.bytes.received"] > 0);
        Assert.True(seen["ferry.process.working_set"] > 0);
        Assert.Equal(0, seen["ferry.exec.processes_running"]); // the instrument keeps OpenTelemetry's snake_case
    }

    [Fact]
    public async Task StatsCommandPrintsATableAndJson()
    {
        await using var server = await TestServer.StartAsync();
        var target = $"127.0.0.1:{server.EndPoint.Port}";
        var table = await CliHarness.RunAsync(["stats", target, .. server.ClientArgs]);
        Assert.Equal(0, table.ExitCode);
        Assert.Contains("connections now", table.StdOut);
        Assert.Contains("resident memory", table.StdOut);
        Assert.Contains("exec processes running", table.StdOut);
        Assert.DoesNotContain("│", table.StdOut); // a pipe gets plain columns

        var json = await CliHarness.RunAsync(["stats", target, .. server.ClientArgs, "--json"]);
        Assert.Equal(0, json.ExitCode);
        using var doc = JsonDocument.Parse(json.StdOut);
        Assert.Equal(2, doc.RootElement.GetProperty("connections").GetProperty("total").GetInt64());
        Assert.Equal(2, doc.RootElement.GetProperty("requests").GetProperty("stats").GetInt64()); // the table's and this one
        Assert.True(doc.RootElement.GetProperty("memory").GetProperty("workingSetBytes").GetInt64() > 0);
    }

    private static async Task<StatsResponse> WaitForAsync(FerryClient client, Func<StatsResponse, bool> condition)
    {
        // The server finishes its bookkeeping for a closed connection just after the peer sees the close.
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (true)
        {
            var stats = await client.GetStatsAsync(deadline.Token);
            if (condition(stats)) return stats;
            await Task.Delay(10, deadline.Token);
        }
    }
}
