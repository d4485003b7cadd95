using System.CommandLine;
using Ferry.Hosting;

namespace Ferry.Cli.Commands.Serve;

/// <summary>
/// One feature's options on <c>ferry serve</c> (echo listeners, exec, files, ...): each group declares its
/// options and copies the parsed values into the host options, so features add flags without editing the others.
/// </summary>
internal interface IServeOptionGroup
{
    void AddTo(Command command);

    void Apply(ParseResult result, FerryHostOptions options);
}
