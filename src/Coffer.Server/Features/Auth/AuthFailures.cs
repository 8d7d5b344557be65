using System.Data.Common;
using Coffer.Server.Common.Data;

namespace Coffer.Server.Features.Auth;

/// <summary>The keys one attempt is counted under: the account (a member id, or the normalised email nobody has), the device and the IP.</summary>
internal sealed record FailureKeys(string Account, string DeviceId, string Ip);

/// <summary>
/// The one failure counter of POLICY.md "Brute force" (docs/adr/0025): every failed sign-in, TOTP code, backup code and
/// security-key assertion is a row per account, device and IP with its kind; they count together against the policy's bounds.
/// Reaching the lockout threshold writes the account's lock, which holds for the policy's duration or until an administrator
/// releases it. A success clears only failures of its own kinds, so knowing the password never wipes the count of guessed codes.
/// </summary>
internal sealed class AuthFailures(IDatabase database)
{
    /// <summary>Rows older than the longest window the policy allows (a day) count for nothing; they are swept on the next failure.</summary>
    private const long RetentionMs = 24L * 60 * 60 * 1000;

    /// <summary>
    /// How long the attempt must wait, or zero. The same queries run for every account key, known or not, so the work does not
    /// tell whether an email exists.
    /// </summary>
    public async Task<TimeSpan> WaitAsync(ThrottlePolicy policy, FailureKeys keys, bool knownDevice, long now, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(keys);
        await using DbConnection c = await database.OpenAsync(ct);
        ThrottleState state = await StateAsync(c, null, keys, now - (long)policy.Window.TotalMilliseconds, now, ct);
        return policy.WaitBeforeAttempt(state, knownDevice, now);
    }

    /// <summary>Counts one failure of <paramref name="kind"/> (<see cref="FailureKinds"/>); true when it locked the account.</summary>
    public Task<bool> RecordAsync(ThrottlePolicy policy, FailureKeys keys, string kind, long now, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(keys);
        return database.InTransactionAsync(async (c, tx) =>
        {
            await c.ExecAsync(tx, "DELETE FROM auth_failures WHERE failed_at < @before", new { before = now - RetentionMs }, ct);
            await c.ExecAsync(tx, "DELETE FROM account_locks WHERE locked_until <= @now", new { now }, ct);
            const string insert = "INSERT INTO auth_failures (key_kind, key_value, factor, failed_at) VALUES (@kind, @value, @factor, @now)";
            await c.ExecAsync(tx, insert, new { kind = "account", value = keys.Account, factor = kind, now }, ct);
            await c.ExecAsync(tx, insert, new { kind = "device", value = keys.DeviceId, factor = kind, now }, ct);
            await c.ExecAsync(tx, insert, new { kind = "ip", value = keys.Ip, factor = kind, now }, ct);
            ThrottleState state = await StateAsync(c, tx, keys, now - (long)policy.Window.TotalMilliseconds, now, ct);
            if (state.LockedUntil is not null || !policy.Locks(state.AccountFailures))
            {
                return false;   // a lock already running is not extended: its end is what the locked answer promised
            }
            await c.ExecAsync(tx, "INSERT INTO account_locks (account_key, locked_at, locked_until) VALUES (@account, @now, @until)",
                new { account = keys.Account, now, until = now + (long)policy.LockoutDuration.TotalMilliseconds }, ct);
            return true;
        }, ct);
    }

    /// <summary>Whether the device is the member's, not deauthorised, and has completed a sign-in (its factor too, when one was owed).</summary>
    public async Task<bool> IsKnownDeviceAsync(string memberId, string deviceId, CancellationToken ct)
    {
        await using DbConnection c = await database.OpenAsync(ct);
        return await c.ScalarAsync<long>(null, """
            SELECT count(*) FROM devices WHERE id = @deviceId AND member_id = @memberId AND revoked_at IS NULL AND verified_at IS NOT NULL
            """, new { memberId, deviceId }, ct) > 0;
    }

    /// <summary>
    /// An administrator's release: the member's lock and every failure counted against the account go; the devices' and IPs'
    /// counts stay, so the device that guessed is still delayed. Returns whether a lock was running and how many failures went.
    /// </summary>
    public static async Task<(bool WasLocked, int Cleared)> ReleaseAsync(DbConnection c, DbTransaction tx, string memberId, long now, CancellationToken ct)
    {
        bool locked = await c.ExecAsync(tx, "DELETE FROM account_locks WHERE account_key = @memberId AND locked_until > @now", new { memberId, now }, ct) > 0;
        await c.ExecAsync(tx, "DELETE FROM account_locks WHERE account_key = @memberId", new { memberId }, ct);
        int cleared = await c.ExecAsync(tx, "DELETE FROM auth_failures WHERE key_kind = 'account' AND key_value = @memberId", new { memberId }, ct);
        return (locked, cleared);
    }

    private static async Task<ThrottleState> StateAsync(DbConnection c, DbTransaction? tx, FailureKeys keys, long since, long now, CancellationToken ct)
    {
        const string sql = "SELECT count(*) AS N, max(failed_at) AS Last FROM auth_failures WHERE key_kind = @kind AND key_value = @value AND failed_at >= @since";
        Counted a = (await c.OneAsync<Counted>(tx, sql, new { kind = "account", value = keys.Account, since }, ct))!;
        Counted d = (await c.OneAsync<Counted>(tx, sql, new { kind = "device", value = keys.DeviceId, since }, ct))!;
        Counted i = (await c.OneAsync<Counted>(tx, sql, new { kind = "ip", value = keys.Ip, since }, ct))!;
        long? lockedUntil = await c.ScalarAsync<long?>(tx, "SELECT max(locked_until) FROM account_locks WHERE account_key = @account AND locked_until > @now",
            new { account = keys.Account, now }, ct);
        return new ThrottleState((int)a.N, a.Last, (int)d.N, d.Last, (int)i.N, i.Last, lockedUntil);
    }

    private sealed class Counted
    {
        public long N { get; set; }
        public long? Last { get; set; }
    }
}
