using Ferry.Client;
using Ferry.Protocol;
using Ferry.Server;
using Ferry.Tests.Infrastructure;

namespace Ferry.Tests.Services.Custom;

/// <summary><see cref="FerryTypedRequestExtensions.CallAsync"/> against a custom service on a real server.</summary>
public class TypedRequestTests
{
    /// <summary>
    /// <c>note.upper</c> answers the note upper-cased; <c>note.missing</c> answers <c>not_found</c>; <c>note.body</c>
    /// answers with fields and a 1 MiB body, which a typed call must refuse.
    /// </summary>
    private sealed class NoteService : IFerryService
    {
        public void MapRoutes(ServiceRoutes routes) => routes
            .Map("note.upper", TestJsonContext.Default.NotePayload, (request, note) =>
                request.ReplyAsync(request.Type, new NotePayload { Note = note.Note?.ToUpperInvariant() }, TestJsonContext.Default.NotePayload,
                    request.CancellationToken))
            .Map("note.missing", TestJsonContext.Default.NotePayload, (_, note) =>
                throw new FerryException(ProtocolError.NotFound, $"no note called '{note.Note}'"))
            .Map("note.body", TestJsonContext.Default.NotePayload, (request, note) =>
                request.ReplyAsync(request.Type, note, TestJsonContext.Default.NotePayload, new byte[1024 * 1024], request.CancellationToken),
                Ferry.Security.Rights.FilesRead);
    }

    private static Task<TestServer> StartAsync() => TestServer.StartAsync(build: b => b.AddService(new NoteService()));

    [Fact]
    public async Task TypedCallReturnsTheAnswersFields()
    {
        await using var server = await StartAsync();
        var client = await server.ConnectAsync();
        var answer = await client.CallAsync("note.upper", new NotePayload { Note = "ahoy" }, TestJsonContext.Default.NotePayload,
            TestJsonContext.Default.NotePayload);
        Assert.Equal("AHOY", answer.Note);
    }

    [Fact]
    public async Task ErrorAnswersAndUnknownTypesThrowWithTheServersCode()
    {
        await using var server = await StartAsync();
        var client = await server.ConnectAsync();
        var missing = await Assert.ThrowsAsync<FerryException>(() => client.CallAsync("note.missing", new NotePayload { Note = "x" },
            TestJsonContext.Default.NotePayload, TestJsonContext.Default.NotePayload));
        Assert.Equal(ProtocolError.NotFound, missing.Error);
        Assert.Equal("no note called 'x'", missing.Message);
        var unknown = await Assert.ThrowsAsync<FerryException>(() => client.CallAsync("note.nowhere", new NotePayload(),
            TestJsonContext.Default.NotePayload, TestJsonContext.Default.NotePayload));
        Assert.Equal(ProtocolError.UnknownType, unknown.Error);
    }

    [Fact]
    public async Task AnAnswerWithABodyIsRefusedAndTheConnectionCarriesOn()
    {
        await using var server = await StartAsync();
        var client = await server.ConnectAsync();
        var refused = await Assert.ThrowsAsync<FerryException>(() => client.CallAsync("note.body", new NotePayload { Note = "b" },
            TestJsonContext.Default.NotePayload, TestJsonContext.Default.NotePayload));
        Assert.Equal(ProtocolError.BadRequest, refused.Error);
        Assert.Contains("1048576", refused.Message, StringComparison.Ordinal);
        // The refused body was skipped, not left in the stream: the next call on the same connection is answered.
        var answer = await client.CallAsync("note.upper", new NotePayload { Note = "after" }, TestJsonContext.Default.NotePayload,
            TestJsonContext.Default.NotePayload);
        Assert.Equal("AFTER", answer.Note);
    }

    [Fact]
    public async Task ARouteRightIsEnforcedForTypedCalls()
    {
        await using var server = await StartAsync();
        server.AddUser("reader-less", "pw-for-test", Ferry.Security.Rights.Chat);
        var client = await server.ConnectAsync(o => { o.KeyFile = null; o.User = "reader-less"; o.Password = "pw-for-test"; });
        var forbidden = await Assert.ThrowsAsync<FerryException>(() => client.CallAsync("note.body", new NotePayload(),
            TestJsonContext.Default.NotePayload, TestJsonContext.Default.NotePayload));
        Assert.Equal(ProtocolError.Forbidden, forbidden.Error);
    }
}
