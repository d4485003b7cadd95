using System.Text;
using Ferry.Security.Scram;

namespace Ferry.Tests.Security;

public class ScramSha256Tests
{
    // RFC 7677 §3: user "user", password "pencil".
    private const string ClientNonce = "rOprNGfwEbeRWgbNEkqO";
    private const string ServerNonce = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
    private const string Salt = "W22ZaJ0SNY7soEsUEjb6gQ==";

    [Fact]
    public void ClientProducesTheRfc7677Messages()
    {
        var client = new ScramClient("user", "pencil", ScramChannelBinding.None, ClientNonce);
        Assert.Equal("n,,n=user,r=rOprNGfwEbeRWgbNEkqO", client.ClientFirst());
        var final = client.ClientFinal($"r={ClientNonce}{ServerNonce},s={Salt},i=4096");
        Assert.Equal("c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=", final);
        client.VerifyServerFinal("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");
    }

    [Fact]
    public void ServerAcceptsTheRfc7677ExchangeAndSignsLikeTheRfc()
    {
        var salted = ScramSha256.SaltedPassword("pencil", Convert.FromBase64String(Salt), 4096);
        var credential = new ScramCredential(Convert.FromBase64String(Salt), 4096,
            ScramSha256.StoredKey(ScramSha256.ClientKey(salted)), ScramSha256.ServerKey(salted));
        var server = new ScramServer(name => name == "user" ? credential : null, ScramChannelBinding.None, new byte[32], serverNonce: ServerNonce);
        Assert.Equal($"r={ClientNonce}{ServerNonce},s={Salt},i=4096", server.HandleClientFirst("n,,n=user,r=rOprNGfwEbeRWgbNEkqO"));
        var serverFinal = server.HandleClientFinal("c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=");
        Assert.Equal("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=", serverFinal);
    }

    [Fact]
    public void AFakeServerSignatureIsRejected()
    {
        var client = new ScramClient("user", "pencil", ScramChannelBinding.None, ClientNonce);
        client.ClientFirst();
        client.ClientFinal($"r={ClientNonce}{ServerNonce},s={Salt},i=4096");
        var ex = Assert.Throws<ScramException>(() => client.VerifyServerFinal("v=" + Convert.ToBase64String(new byte[32])));
        Assert.Contains("fake server", ex.Message);
    }

    [Fact]
    public void AChallengeThatDoesNotExtendTheClientNonceIsRejected()
    {
        var client = new ScramClient("user", "pencil", ScramChannelBinding.None, ClientNonce);
        client.ClientFirst();
        var ex = Assert.Throws<ScramException>(() => client.ClientFinal($"r=someoneElsesNonce{ServerNonce},s={Salt},i=4096"));
        Assert.Contains("does not extend", ex.Message);
    }

    [Fact]
    public void TooFewIterationsAreRefusedByTheClient()
    {
        var client = new ScramClient("user", "pencil", ScramChannelBinding.None, ClientNonce);
        client.ClientFirst();
        Assert.Throws<ScramException>(() => client.ClientFinal($"r={ClientNonce}x,s={Salt},i=1"));
    }

    [Fact]
    public void WrongPasswordAndUnknownUserFailAlike()
    {
        var credential = ScramSha256.CreateCredential("right", ScramSha256.MinIterations);
        foreach (var (user, password) in new[] { ("alice", "wrong"), ("mallory", "right") })
        {
            var server = new ScramServer(name => name == "alice" ? credential : null, ScramChannelBinding.None, new byte[32], ScramSha256.MinIterations);
            var client = new ScramClient(user, password, ScramChannelBinding.None);
            var challenge = server.HandleClientFirst(client.ClientFirst());
            Assert.Contains($"i={ScramSha256.MinIterations}", challenge); // an unknown user gets a believable challenge
            var ex = Assert.Throws<ScramException>(() => server.HandleClientFinal(client.ClientFinal(challenge)));
            Assert.True(ex.AuthenticationFailed);
            Assert.Equal("unknown user or wrong password", ex.Message);
        }
    }

    [Fact]
    public void AnExchangeRelayedToAnotherTlsChannelFails()
    {
        var credential = ScramSha256.CreateCredential("pw", ScramSha256.MinIterations);
        var serverChannel = ScramChannelBinding.ForServerCertificateHash(Enumerable.Repeat((byte)1, 32).ToArray());
        var clientChannel = ScramChannelBinding.ForServerCertificateHash(Enumerable.Repeat((byte)2, 32).ToArray()); // the relay's certificate
        var server = new ScramServer(_ => credential, serverChannel, new byte[32]);
        var client = new ScramClient("u", "pw", clientChannel);
        var challenge = server.HandleClientFirst(client.ClientFirst());
        var ex = Assert.Throws<ScramException>(() => server.HandleClientFinal(client.ClientFinal(challenge)));
        Assert.Contains("channel binding", ex.Message);
    }

    [Fact]
    public void ADowngradeToNoChannelBindingOverTlsIsRefused()
    {
        var server = new ScramServer(_ => null, ScramChannelBinding.ForServerCertificateHash(new byte[32]), new byte[32]);
        var ex = Assert.Throws<ScramException>(() => server.HandleClientFirst("y,,n=u,r=abcdefghij"));
        Assert.Contains("downgrade", ex.Message);
    }

    [Fact]
    public void NamesWithCommasAndEqualsSignsAreEscaped()
    {
        Assert.Equal("a=2Cb=3Dc", ScramSha256.EscapeName("a,b=c"));
        Assert.Equal("a,b=c", ScramSha256.UnescapeName("a=2Cb=3Dc"));
        Assert.Null(ScramSha256.UnescapeName("bad=41"));
    }

    [Fact]
    public void TheVerifierHoldsNeitherThePasswordNorItsPlainHash()
    {
        var credential = ScramSha256.CreateCredential("hunter2", ScramSha256.MinIterations);
        var plainHash = System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes("hunter2"));
        Assert.NotEqual(plainHash, credential.StoredKey);
        Assert.NotEqual(plainHash, credential.ServerKey);
        Assert.Equal(ScramSha256.SaltBytes, credential.Salt.Length);
    }
}
