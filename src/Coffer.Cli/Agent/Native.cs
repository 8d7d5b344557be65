using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Coffer.Cli.Agent;

/// <summary>The few POSIX calls .NET does not expose.</summary>
internal static partial class Native
{
    /// <summary>setsid(2): the agent leaves the terminal's session, so Ctrl-C or a closed terminal does not end it.</summary>
    [LibraryImport("libc", EntryPoint = "setsid", SetLastError = true)]
    internal static partial int SetSid();

    [LibraryImport("libc", EntryPoint = "geteuid")]
    internal static partial uint GetEffectiveUserId();
}

/// <summary>
/// The credentials of the process at the other end of a connected Unix socket, as the kernel recorded them when it
/// connected: <c>getsockopt(SOL_SOCKET, SO_PEERCRED)</c> fills <c>struct ucred { pid_t pid; uid_t uid; gid_t gid; }</c>
/// (socket(7), unix(7)). Nothing the peer sends can change them.
/// </summary>
internal readonly record struct PeerCredentials(int ProcessId, uint UserId, uint GroupId)
{
    public const int SolSocket = 1;
    public const int SoPeerCred = 17;
    private const int UcredSize = 12;

    public static PeerCredentials Of(Socket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        Span<byte> ucred = stackalloc byte[UcredSize];
        int length = socket.GetRawSocketOption(SolSocket, SoPeerCred, ucred);
        if (length != UcredSize)
        {
            throw new InvalidOperationException("SO_PEERCRED returned an unexpected size.");
        }
        return new PeerCredentials(MemoryMarshal.Read<int>(ucred), MemoryMarshal.Read<uint>(ucred[4..]), MemoryMarshal.Read<uint>(ucred[8..]));
    }

    /// <summary>The agent serves only processes of the user it runs as.</summary>
    public static bool IsSameUser(PeerCredentials peer, uint ownUserId) => peer.UserId == ownUserId;
}
