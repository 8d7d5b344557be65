using System.Threading.Channels;

namespace Coffer.Server.Features.Sync;

/// <summary>A vault reached a content version.</summary>
internal readonly record struct VaultChange(string VaultId, long Version);

/// <summary>
/// The in-process fan-out of vault changes to this node's event streams. On SQLite (one node) writes publish here after
/// they commit; on PostgreSQL writes only <c>NOTIFY</c> and <see cref="PostgresChangeListener"/> publishes what it hears,
/// this node's writes included, so every node learns of every write the same way. A slow subscriber loses the oldest
/// announcements rather than holding anything up: an announcement only says "sync this vault", and a later one for the
/// same vault says it again.
/// </summary>
internal sealed class VaultChanges
{
    private const int SubscriberBuffer = 256;

    private readonly Lock _lock = new();
    private readonly List<Channel<VaultChange>> _subscribers = [];

    public void Publish(VaultChange change)
    {
        lock (_lock)
        {
            foreach (Channel<VaultChange> subscriber in _subscribers)
            {
                subscriber.Writer.TryWrite(change);
            }
        }
    }

    public Subscription Subscribe()
    {
        Channel<VaultChange> channel = Channel.CreateBounded<VaultChange>(new BoundedChannelOptions(SubscriberBuffer)
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

    private void Remove(Channel<VaultChange> channel)
    {
        lock (_lock)
        {
            _subscribers.Remove(channel);
        }
        channel.Writer.TryComplete();
    }

    /// <summary>One event stream's view of the changes; dispose it when the stream ends.</summary>
    internal sealed class Subscription(VaultChanges owner, Channel<VaultChange> channel) : IDisposable
    {
        public ChannelReader<VaultChange> Reader => channel.Reader;

        public void Dispose() => owner.Remove(channel);
    }
}
