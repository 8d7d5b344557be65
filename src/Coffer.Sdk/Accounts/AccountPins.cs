using System.Security.Cryptography;
using System.Text.Json;
using Coffer.Contracts;
using Coffer.Contracts.Errors;
using Coffer.Contracts.Keys;
using Coffer.Crypto.Keys;
using Coffer.Crypto.Provenance;
using Coffer.Sdk.Errors;
using Coffer.Sdk.Http;
using Coffer.Sdk.Wire;

namespace Coffer.Sdk.Accounts;

/// <summary>
/// The member's sealed pins record on the server (<c>GET</c>/<c>PUT /api/v1/account/pins</c>; PROTOCOL.md §5.1): sealed by
/// the member's keyset key, so every device that unlocks inherits what the others verified, and the server can neither
/// read nor forge it. It can withhold or replay an older copy, which is why a device also keeps its own sealed copy and
/// merges both (<see cref="Pins.MergeFrom"/>: the highest of everything wins).
/// </summary>
/// <remarks>
/// At unlock a client opens the stored copies with the keyset the unlock opened, merges them, and checks the unlock's
/// findings against the merged pins (so a key substituted since another device pinned it is refused); after anything new
/// is verified it stores the next version with <see cref="StoreAsync"/>.
/// </remarks>
public static class AccountPins
{
    private const int StoreAttempts = 3;

    private static CofferJsonContext Json => CofferJsonContext.Default;

    /// <summary>The server's copy of the sealed record, or null when none is stored.</summary>
    /// <exception cref="CofferApiException">The server refused.</exception>
    public static async Task<PinsDto?> FetchAsync(CofferSession session, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        try
        {
            return await session.SendAsync(HttpMethod.Get, "/api/v1/account/pins", Json.PinsDto, cancellationToken).ConfigureAwait(false);
        }
        catch (CofferApiException e) when (e.Status == 404)
        {
            return null;
        }
    }

    /// <summary>
    /// Opens a sealed record with <paramref name="keyset"/>. Null when it was sealed by another keyset (or serial) of the
    /// member, or does not open: a record the server altered is never trusted, and the caller keeps its own copy.
    /// </summary>
    public static Pins? Open(Keyset keyset, PinsDto? record)
    {
        ArgumentNullException.ThrowIfNull(keyset);
        if (record is null || record.SealedPins is null || !string.Equals(record.KeysetId, keyset.KeysetId, StringComparison.Ordinal)
            || record.KeysetSerial != keyset.Serial || record.Version < 1)
        {
            return null;
        }
        try
        {
            return Pins.Open(keyset, record.Version, WireMapper.ToEnvelope(record.SealedPins, "sealed pins"));
        }
        catch (CofferProtocolException)
        {
            return null;
        }
    }

    /// <summary>Merges every record that opens into one <see cref="Pins"/> (a record that does not open adds nothing).</summary>
    /// <param name="keyset">The member's keyset (opened by the unlock).</param>
    /// <param name="records">The server's copy, this device's copy, …; nulls are skipped.</param>
    /// <returns>The merged pins, and whether any two records contradicted each other (a key or organisation pin; the first seen is kept).</returns>
    public static (Pins Pins, bool Conflict) Merge(Keyset keyset, params PinsDto?[] records)
    {
        ArgumentNullException.ThrowIfNull(keyset);
        ArgumentNullException.ThrowIfNull(records);
        Pins merged = new();
        bool conflict = false;
        foreach (PinsDto? record in records)
        {
            if (Open(keyset, record) is { } opened)
            {
                conflict |= merged.MergeFrom(opened) == PinCheck.Conflict;
            }
        }
        return (merged, conflict);
    }

    /// <summary>
    /// Seals <paramref name="account"/>'s pins as their next version and stores them. When another device stored a newer
    /// version meanwhile (409 <c>stale-version</c>), that one is fetched, merged in, and the result stored as the version after it.
    /// Not thread-safe with other users of the account's pins: callers serialise.
    /// </summary>
    /// <returns>The sealed record now stored (keep it as this device's own copy).</returns>
    /// <exception cref="CofferApiException">The server refused for another reason.</exception>
    public static async Task<PinsDto> StoreAsync(CofferSession session, UnlockedAccount account, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(account);
        Keyset keyset = account.Keyset;
        for (int attempt = 1; ; attempt++)
        {
            (long version, Protocol.Envelopes.Envelope sealedPins) = account.Pins.Seal(keyset);
            PinsDto record = new(keyset.KeysetId, keyset.Serial, version, WireMapper.ToDto(sealedPins));
            try
            {
                byte[] answer = await session.ExchangeAsync(HttpMethod.Put, "/api/v1/account/pins", JsonSerializer.SerializeToUtf8Bytes(record, Json.PinsDto),
                    cancellationToken).ConfigureAwait(false);
                CryptographicOperations.ZeroMemory(answer);
                return record;
            }
            catch (CofferApiException e) when (e.Type == ErrorTypes.StaleVersion && attempt < StoreAttempts)
            {
                if (Open(keyset, await FetchAsync(session, cancellationToken).ConfigureAwait(false)) is { } newer)
                {
                    _ = account.Pins.MergeFrom(newer);
                }
            }
        }
    }
}
