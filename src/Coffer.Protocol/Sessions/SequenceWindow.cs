namespace Coffer.Protocol.Sessions;

/// <summary>
/// The server's replay window for one session (PROTOCOL.md §6): each sequence
/// number is accepted at most once, and only if it is no more than 127 below the
/// highest seen (a window of 128, as IPsec's anti-replay window). Not thread-safe:
/// the caller holds the session's lock. The state (highest, bitmap) can be stored
/// and restored so several server nodes share it through the database.
/// </summary>
public sealed class SequenceWindow
{
    /// <summary>The window size.</summary>
    public const int Size = 128;

    private UInt128 _bitmap;

    /// <summary>A window that has seen nothing; the first sequence number is 1.</summary>
    public SequenceWindow()
    {
    }

    /// <summary>Restores a stored window.</summary>
    public SequenceWindow(ulong highest, UInt128 bitmap)
    {
        Highest = highest;
        _bitmap = bitmap;
    }

    /// <summary>The highest sequence number accepted so far (0 = none).</summary>
    public ulong Highest { get; private set; }

    /// <summary>Bit i set = sequence number <c>Highest − i</c> was accepted.</summary>
    public UInt128 Bitmap => _bitmap;

    /// <summary>Accepts <paramref name="seq"/> if it is new and inside the window; false for 0, replays and stale numbers.</summary>
    public bool TryAccept(ulong seq)
    {
        if (seq == 0)
        {
            return false;
        }
        if (seq > Highest)
        {
            ulong shift = seq - Highest;
            _bitmap = shift >= Size ? UInt128.One : (_bitmap << (int)shift) | UInt128.One;
            Highest = seq;
            return true;
        }
        ulong offset = Highest - seq;
        if (offset >= Size)
        {
            return false;
        }
        UInt128 bit = UInt128.One << (int)offset;
        if ((_bitmap & bit) != UInt128.Zero)
        {
            return false;
        }
        _bitmap |= bit;
        return true;
    }
}
