using Ferry.Protocol;

namespace Ferry.Tests.Protocol;

public class LogTextTests
{
    [Theory]
    [InlineData("alice", "alice")]
    [InlineData("ann\u001b[2Jbob", @"ann\x1B[2Jbob")]
    [InlineData("a\r\nFailed login from 10.0.0.1", @"a\x0D\x0AFailed login from 10.0.0.1")]
    [InlineData("bell\u0007\u007f\u009b", @"bell\x07\x7F\x9B")]
    [InlineData("rlo\u202etxt.exe", @"rlo\u202Etxt.exe")]
    [InlineData("line\u2028sep", @"line\u2028sep")]
    [InlineData(@"C:\x1B is not an escape", @"C:\\x1B is not an escape")]
    [InlineData("snow ☃ and 🚢", "snow ☃ and 🚢")]
    [InlineData(null, "")]
    public void NetworkTextIsMadeSafeForALogLine(string? value, string expected) => Assert.Equal(expected, LogText.Escape(value));

    // Not an InlineData: xunit's serialisation of theory data turns a lone surrogate into U+FFFD before the test runs.
    [Fact]
    public void ALoneSurrogateIsEscaped() => Assert.Equal(@"lone \uD800 half", LogText.Escape("lone " + (char)0xD800 + " half"));

    [Fact]
    public void LongValuesAreCutAndTheRestCounted()
    {
        var escaped = LogText.Escape(new string('x', 600), maxLength: 10);
        Assert.Equal("xxxxxxxxxx…(+590 chars)", escaped);
    }

    [Fact]
    public void SafeTextIsReturnedAsIs()
    {
        var value = "plain text";
        Assert.Same(value, LogText.Escape(value));
    }
}
