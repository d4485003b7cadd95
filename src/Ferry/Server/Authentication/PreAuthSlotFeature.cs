namespace Ferry.Server.Authentication;

/// <summary>The connection's place in the unauthenticated-connection caps; released once it authenticates.</summary>
internal sealed class PreAuthSlotFeature(IDisposable slot)
{
    public IDisposable Slot { get; } = slot;
}
