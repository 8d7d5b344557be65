using System.Threading.Channels;

namespace Coffer.Server.Features.Sync;

/// <summary>A vault reached a content version.</summary>
internal readonly record struct VaultChange(string VaultId, long Version);

/// <summary>The account feed reached <paramref name="Seq"/> with a change for <paramref name="Audience"/> (a member, or null for everyone).</summary>
internal readonly record struct AccountChange(string? Audience, long Seq);

/// <summary>One announcement to event streams: a vault change or an account-feed change.</summary>
internal readonly record struct Announcement(VaultChange? Vault, AccountChange? Account);

/// <summary>
/// The in-process fan-out of vault changes and account-feed changes to this node's event streams. On SQLite (one node) writes publish here after
/// they commit; on PostgreSQL writes only <c>NOTIFY</c> and <see cref="PostgresChangeListener"/> publishes what it hears,
/// this node's writes included, so every node learns of every write the same way. A slow subscriber loses the oldest
/// announcements rather than holding anything up: an announcement only says "sync this vault", and a later one for the
/// same vault says it again.
/// </summary>
internal sealed class VaultChanges
{
    private const int SubscriberBuffer = 256;

    private readonly Lock _lock = new();
    private readonly List<Channel<Announcement>> _subscribers = [];

    public void Publish(VaultChange change) => Publish(new Announcement(change, null));

    public void Publish(AccountChange change) => Publish(new Announcement(null, change));

    private void Publish(Announcement announcement)
    {
        lock (_lock)
        {
            foreach (Channel<Announcement> subscriber in _subscribers)
            {
                subscriber.Writer.TryWrite(announcement);
            }
        }
    }

    public Subscription Subscribe()
    {
        Channel<Announcement> channel = Channel.CreateBounded<Announcement>(new BoundedChannelOptions(SubscriberBuffer)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
        });
        lock (_lock)
        {
            _subscribers.Add(channel);
        }
        return new Subscription(this, channel);
    }

    private void Remove(Channel<Announcement> channel)
    {
        lock (_lock)
        {
            _subscribers.Remove(channel);
        }
        channel.Writer.TryComplete();
    }

    /// <summary>One event stream's view of the changes; dispose it when the stream ends.</summary>
    internal sealed class Subscription(VaultChanges owner, Channel<Announcement> channel) : IDisposable
    {
        public ChannelReader<Announcement> Reader => channel.Reader;

        public void Dispose() => owner.Remove(channel);
    }
}
