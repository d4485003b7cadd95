using System.Reflection;
using System.Text;
using Ferry.Protocol;

namespace Ferry.Tests.Protocol;

public class MessageTypesTests
{
    [Fact]
    public void AllListsEveryConstant()
    {
        var constants = typeof(MessageTypes).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral && f.FieldType == typeof(string))
            .Select(f => (string)f.GetRawConstantValue()!)
            .Order(StringComparer.Ordinal);
        Assert.Equal(constants, MessageTypes.All.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void KnownTypesResolveToTheLiteralInstance()
    {
        // Sessions compare types by reference; a copy from the wire (bytes or a built string) must come back as the literal.
        Assert.Same(MessageTypes.Hello, MessageTypes.Intern("hello"u8));
        Assert.Same(MessageTypes.FilePut, MessageTypes.Intern(new StringBuilder("file.").Append("put").ToString()));
        var unknown = MessageTypes.Intern("no.such"u8);
        Assert.Equal("no.such", unknown);
    }
}
