using Ferry.Services.Chat.Redis;

namespace Ferry.Tests.Services.Chat.Redis;

public class RedisChatAddressTests
{
    [Theory]
    [InlineData("redis://127.0.0.1:7190", "127.0.0.1:7190", -1, null, false)]
    [InlineData("redis://h/3", "h:6379", 3, null, false)]
    [InlineData("redis://:pw@h:1/2", "h:1", 2, "pw", false)]
    [InlineData("redis://h:1?password=p%26w", "h:1", -1, "p&w", false)]
    [InlineData("rediss://h:1", "h:1", -1, null, true)]
    [InlineData("redis://h:1?ssl=true", "h:1", -1, null, true)]
    public void ParsesAddresses(string address, string endPoint, int db, string? password, bool ssl)
    {
        var options = RedisChatAddress.Parse(address);
        Assert.Equal(endPoint, Assert.Single(options.EndPoints) switch
        {
            System.Net.DnsEndPoint d => $"{d.Host}:{d.Port}",
            var other => other.ToString(),
        });
        Assert.Equal(db < 0 ? null : db, options.DefaultDatabase);
        Assert.Equal(password, options.Password);
        Assert.Equal(ssl, options.Ssl);
        Assert.False(options.AbortOnConnectFail);
    }

    [Theory]
    [InlineData("")]
    [InlineData("http://h:1")]
    [InlineData("redis://h:1/x")]
    [InlineData("redis://h:1?colour=red")]
    [InlineData("h:1")]
    public void RefusesWhatIsNotARedisAddress(string address) => Assert.Throws<FormatException>(() => RedisChatAddress.Parse(address));

    [Theory]
    [InlineData("redis://:secret@h:1/2", "redis://:***@h:1/2")]
    [InlineData("redis://u:secret@h:1", "redis://u:***@h:1")]
    [InlineData("redis://h:1?password=secret&ssl=true", "redis://h:1?password=***&ssl=true")]
    public void DescriptionsHideThePassword(string address, string shown) => Assert.Equal(shown, RedisChatAddress.Describe(address));
}
