using Coffer.Sdk.Errors;

namespace Coffer.Sdk.Cache;

/// <summary>Why the local cache cannot be used.</summary>
public enum LocalCacheFailure
{
    /// <summary>There is no cache at the path (nothing was synced on this device yet).</summary>
    Missing,

    /// <summary>The cache does not open: damaged, changed by someone else, or made under keys this account no longer has. Online, it is rebuilt.</summary>
    Corrupted,

    /// <summary>The cache belongs to another member.</summary>
    OtherAccount,

    /// <summary>The organisation does not allow offline access.</summary>
    OfflineNotAllowed,

    /// <summary>The organisation's offline window since the last online sign-in has passed.</summary>
    OfflineWindowExpired,

    /// <summary>The cache's directory can be entered by other users.</summary>
    Insecure,
}

/// <summary>
/// The local cache cannot be used (docs/adr/0019-local-cache.md); <see cref="Failure"/> says why and the message says what
/// to do. Online, a damaged cache is discarded and rebuilt from the server instead; this is what offline use sees.
/// </summary>
public sealed class LocalCacheException : CofferException
{
    /// <summary>Creates the exception with a default message.</summary>
    public LocalCacheException()
        : this(LocalCacheFailure.Corrupted, "The local cache cannot be used.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public LocalCacheException(string message)
        : this(LocalCacheFailure.Corrupted, message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public LocalCacheException(string message, Exception? innerException)
        : base(message, innerException)
    {
        Failure = LocalCacheFailure.Corrupted;
    }

    /// <summary>Creates the exception for <paramref name="failure"/>.</summary>
    public LocalCacheException(LocalCacheFailure failure, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Failure = failure;
    }

    /// <summary>Why the cache cannot be used.</summary>
    public LocalCacheFailure Failure { get; }
}
