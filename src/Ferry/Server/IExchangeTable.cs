namespace Ferry.Server;

/// <summary>
/// A per-connection feature (see <see cref="ServerSession.GetFeature{T}"/>) that keeps exchanges open on request ids
/// outside <see cref="ServerSession.StartBackground"/> — an upload between <c>file.put</c> and <c>file.done</c>, a chat
/// membership on its <c>chat.join</c> id. The dispatch asks it before routing, so a new request on one of these ids is
/// answered <c>duplicate_id</c> in one place for every service.
/// </summary>
public interface IExchangeTable
{
    /// <summary>Whether an exchange is open on <paramref name="id"/>.</summary>
    bool Contains(long id);
}
