using System.Globalization;
using System.Text;
using System.Text.Json;
using Coffer.Cli.State;
using Coffer.Contracts;
using Coffer.Contracts.Errors;
using Coffer.Contracts.Keys;
using Coffer.Contracts.Members;
using Coffer.Contracts.Setup;
using Coffer.Crypto.Accounts;
using Coffer.Crypto.Generators;
using Coffer.Crypto.Kdf;
using Coffer.Crypto.Provenance;
using Coffer.Protocol.Envelopes;
using Coffer.Protocol.Signatures;
using Coffer.Sdk.Accounts;
using Coffer.Sdk.Auth;
using Coffer.Sdk.Devices;
using Coffer.Sdk.Errors;
using Coffer.Sdk.Ids;
using Coffer.Sdk.Members;
using Coffer.Sdk.Mfa;
using Coffer.Sdk.Policies;
using Coffer.Sdk.Restores;
using Coffer.Sdk.Sessions;
using Coffer.Sdk.Setup;

namespace Coffer.Cli.Agent;

/// <summary>
/// What the agent does for each request. Everything that needs a secret happens here, in the agent: 2SKD, SRP, unlock,
/// key generation at setup and acceptance. The CLI process only reads the secret from the person and formats results.
/// </summary>
internal sealed class AgentHandlers(AgentState state, AccountStore store, TimeSpan idleTimeout)
{
    private static readonly CofferJsonContext Wire = CofferJsonContext.Default;
    private static readonly AgentJsonContext Json = AgentJsonContext.Default;
    private readonly ItemHandlers _items = new(state);

    public async Task<JsonElement> HandleAsync(AgentRequest request, AgentConversation? person, CancellationToken cancellationToken)
    {
        // Flows into every SDK call this request makes: a step-up refusal asks this request's person (docs/adr/0024).
        AgentStepUp.Person = person;
        try
        {
            return request switch
            {
                StatusRequest => Result(new StatusResult(Environment.ProcessId, (long)idleTimeout.TotalSeconds, state.UnlockedAccounts), Json.StatusResult),
                SetupOrganisationRequest r => Result(await SetupAsync(r, person, cancellationToken).ConfigureAwait(false), Json.SetupResult),
                AcceptInvitationRequest r => Result(await AcceptAsync(r, cancellationToken).ConfigureAwait(false), Json.AcceptResult),
                SignInRequest r => Result(await SignInAsync(r, person, cancellationToken).ConfigureAwait(false), Json.AccountResult),
                UnlockRequest r => Result(await UnlockAsync(r, person, cancellationToken).ConfigureAwait(false), Json.AccountResult),
                LockRequest => Result(new StatusResult(Environment.ProcessId, (long)idleTimeout.TotalSeconds, await state.LockAllAsync().ConfigureAwait(false)),
                    Json.StatusResult),
                SignOutRequest r => Result(await SignOutAsync(r, cancellationToken).ConfigureAwait(false), Json.SignOutResult),
                WhoAmIRequest r => Result(await WhoAmIAsync(r, cancellationToken).ConfigureAwait(false), Json.WhoAmIResult),
                SessionListRequest r => Result(await state.Get(r.Account).RunAsync(s => new SessionClient(s).ListAsync(cancellationToken), cancellationToken)
                    .ConfigureAwait(false), Json.IReadOnlyListSessionDto),
                SessionEndRequest r => await EndSessionAsync(r, cancellationToken).ConfigureAwait(false),
                DeviceListRequest r => Result(await state.Get(r.Account).RunAsync(s => r.MemberId is null
                    ? new DeviceClient(s).ListAsync(cancellationToken)
                    : new DeviceClient(s).ListForMemberAsync(r.MemberId, cancellationToken), cancellationToken).ConfigureAwait(false), Json.IReadOnlyListDeviceDto),
                DeviceRevokeRequest r => await RevokeDeviceAsync(r, cancellationToken).ConfigureAwait(false),
                MemberListRequest r => Result(await state.Get(r.Account).RunAsync(s => new MemberDirectory(s).ListAsync(cancellationToken), cancellationToken)
                    .ConfigureAwait(false), Json.IReadOnlyListMemberDto),
                MemberInviteRequest r => Result(await state.Get(r.Account).RunAsync(s => new MemberInvitations(s).InviteAsync(r.Email, r.Name, r.BaseGroup,
                    cancellationToken), cancellationToken).ConfigureAwait(false), Json.InvitationResponse),
                ChangePasswordRequest or RegenerateSecretKeyRequest or ChangeEmailRequest or ConfirmEmailRequest =>
                    await new CredentialHandlers(state, store).HandleAsync((AccountRequest)request, cancellationToken).ConfigureAwait(false),
                MemberPendingRequest or MemberConfirmRequest or MemberLifecycleRequest or GroupListRequest or GroupCreateRequest or GroupMembersRequest
                    or AuditTailRequest or AuditExportRequest or AuditVerifyRequest or AuditCountersignNowRequest or AuditKeyRequest or AuditCertifyKeyRequest =>
                    await new AdminHandlers(state, store).HandleAsync((AccountRequest)request, cancellationToken).ConfigureAwait(false),
                ItemsRequest r => await _items.HandleAsync(r, cancellationToken).ConfigureAwait(false),
                MfaListRequest or MfaAddTotpRequest or MfaAddSecurityKeyRequest or MfaRemoveRequest or MfaBackupCodesRequest or PolicyShowRequest or PolicySetRequest =>
                    await MfaHandlers.HandleAsync(state.Get(((AccountRequest)request).Account), store, (AccountRequest)request, person, cancellationToken)
                        .ConfigureAwait(false),
                _ => throw new CliException(ExitCodes.Usage, "The agent does not know this operation; is the agent older than this coffer? Run `coffer lock` and retry."),
            };
        }
        catch (CofferDeviceWipedException) when (request is AccountRequest wiped)
        {
            // The server said so under this session's key (ADR 0012): forget the account on this device.
            state.Remove(wiped.Account);
            await store.ForgetAsync(wiped.Account, CancellationToken.None).ConfigureAwait(false);
            throw;
        }
    }

    private async Task<SetupResult> SetupAsync(SetupOrganisationRequest r, AgentConversation? person, CancellationToken cancellationToken)
    {
        Uri server = OwnedConnection.ParseServer(r.ServerUrl);
        OwnedConnection connection = OwnedConnection.Open(server, r.Tls);
        bool handedOver = false;
        try
        {
            // The root certifies the audit key the server presents (docs/adr/0016): trust on first use, like the rest of setup; the
            // fingerprint is shown so it can be compared with the one the server logged at start.
            SetupStatusResponse status = await connection.Connection.GetAsync("/api/v1/setup", Wire.SetupStatusResponse, cancellationToken).ConfigureAwait(false);
            byte[] auditKey = OrganisationSetup.ReadAuditKey(status);
            using OrganisationSetupResult setup = OrganisationSetup.Create(new SetupDetails(r.OrganisationName, r.Email, r.OwnerName, server), r.Password,
                r.Token, TimeProvider.System, KdfPolicy.Default, KdfPolicy.MinimumIterations, auditKey);
            StoredAccount account = NewAccount(setup.Account, server, r.Shorthand ?? Slug(r.OrganisationName), r.OrganisationName.Trim(), r.Tls);
            string kitPath = r.KitPath ?? DefaultKitPath(account);
            // The Secret Key and the Emergency Kit are on disk before the server has the organisation: nothing it accepts
            // can be lost with this process.
            store.WriteSecretKey(account.MemberId, setup.SecretKey);
            WriteKit(kitPath, setup.EmergencyKit);
            try
            {
                await connection.Connection.PostAsync("/api/v1/setup", setup.Request, Wire.SetupRequest, Wire.SetupResponse, cancellationToken)
                    .ConfigureAwait(false);
            }
            catch (CofferApiException)
            {
                // Refused: no organisation was made with this key.
                File.Delete(kitPath);
                File.Delete(store.Home.SecretKeyFile(account.MemberId));
                throw;
            }
            await store.SaveAsync(account, cancellationToken).ConfigureAwait(false);
            UnlockedSession session = await OpenAsync(connection, account.Email, r.Password, setup.SecretKey, account.DeviceId, null,
                (_, _) => setup.Account, null, false, person, cancellationToken).ConfigureAwait(false);
            handedOver = true;
            account = await KeepAsync(account, session, cancellationToken).ConfigureAwait(false);
            return new SetupResult(ToResult(account, session.Warnings), kitPath, Fingerprint.FromSpki(auditKey).ToDisplayString());
        }
        finally
        {
            if (!handedOver)
            {
                connection.Dispose();
            }
        }
    }

    private async Task<AcceptResult> AcceptAsync(AcceptInvitationRequest r, CancellationToken cancellationToken)
    {
        InvitationLink link = InvitationLink.Parse(r.Link);
        using OwnedConnection connection = OwnedConnection.Open(link.ServerUrl, r.Tls);
        InvitationAcceptanceResult accepted;
        try
        {
            accepted = await InvitationAcceptance.AcceptAsync(connection.Connection, link, r.Password, TimeProvider.System, KdfPolicy.Default,
                KdfPolicy.MinimumIterations, cancellationToken).ConfigureAwait(false);
        }
        catch (CofferApiException e) when (e.Status is 403 or 404 or 410)
        {
            throw new CliException(ExitCodes.Forbidden, "This invitation link has been used, has expired or was withdrawn: ask for a new one.", e.Problem);
        }
        using (accepted)
        {
            string? organisationName = accepted.EmergencyKit.OrganisationName;
            StoredAccount account = NewAccount(accepted.Account, link.ServerUrl, r.Shorthand ?? Slug(organisationName), organisationName, r.Tls) with
            {
                EncryptionFingerprint = accepted.EncryptionFingerprint.ToString(),
                SigningFingerprint = accepted.SigningFingerprint.ToString(),
            };
            store.WriteSecretKey(account.MemberId, accepted.SecretKey);
            await store.SaveAsync(account, cancellationToken).ConfigureAwait(false);
            string kitPath = r.KitPath ?? DefaultKitPath(account);
            WriteKit(kitPath, accepted.EmergencyKit);
            return new AcceptResult(ToResult(account), kitPath, accepted.BaseGroup, Unlocked: false, accepted.ShortAuthenticationString);
        }
    }

    /// <summary>
    /// Signs in on a device that does not know the account. The organisation fingerprint comes from the person (their
    /// Emergency Kit), never from the server; the unlock refuses a root that does not hash to it.
    /// </summary>
    private async Task<AccountResult> SignInAsync(SignInRequest r, AgentConversation? person, CancellationToken cancellationToken)
    {
        Uri server = OwnedConnection.ParseServer(r.ServerUrl);
        if (!Fingerprint.TryParse(NormaliseFingerprint(r.OrganisationFingerprint), out Fingerprint organisation))
        {
            throw new CliException(ExitCodes.Usage, "That is not an organisation fingerprint: it is the 52 characters (13 groups of 4) on your Emergency Kit.");
        }
        using SecretKey secretKey = SecretKey.Parse(r.SecretKey);
        string email = r.Email.Trim();
        StoredAccount? known = store.Load().Accounts.FirstOrDefault(a => string.Equals(a.Email, email, StringComparison.OrdinalIgnoreCase)
            && OwnedConnection.ParseServer(a.ServerUrl) == server && a.AccountId == secretKey.AccountId);
        if (known is not null && known.OrganisationFingerprint != organisation.ToString())
        {
            throw new CliException(ExitCodes.Refused, "This device pinned another organisation fingerprint for this account; the one given does not match it.");
        }
        string deviceId = known?.DeviceId ?? UuidV7.New(TimeProvider.System);
        OwnedConnection connection = OwnedConnection.Open(server, r.Tls);
        bool handedOver = false;
        try
        {
            UnlockedSession session;
            try
            {
                session = await OpenAsync(connection, email, r.Password, secretKey, deviceId, known?.LastIterations,
                    (memberId, keys) => new RememberedAccount(keys.Root.OrgId, memberId, email, secretKey.AccountId, organisation, known?.LastIterations ?? 0),
                    known is null ? null : store.ReadPins(known.MemberId), false, person, cancellationToken).ConfigureAwait(false);
            }
            catch (CofferApiException e) when (e.Type == ErrorTypes.SignInFailed)
            {
                throw new CliException(ExitCodes.AuthFailed, "Sign-in failed: wrong email, password or Secret Key.", e.Problem);
            }
            handedOver = true;
            RememberedAccount remembered = session.Keys.Account;
            StoredAccount account = NewAccount(remembered, server, r.Shorthand ?? known?.Shorthand ?? Slug(server.Host), known?.OrganisationName,
                r.Tls ?? known?.Tls) with
            { DeviceId = deviceId, OfflineWindowSeconds = known?.OfflineWindowSeconds };
            store.WriteSecretKey(account.MemberId, secretKey);
            account = await KeepAsync(account, session, cancellationToken).ConfigureAwait(false);
            return ToResult(account, session.Warnings);
        }
        finally
        {
            if (!handedOver)
            {
                connection.Dispose();
            }
        }
    }

    private async Task<AccountResult> UnlockAsync(UnlockRequest r, AgentConversation? person, CancellationToken cancellationToken)
    {
        StoredAccount account = store.Find(r.Account)
            ?? throw new CliException(ExitCodes.NotFound, "This device no longer knows that account; sign in with `coffer signin`.");
        using SecretKey secretKey = store.ReadSecretKey(account.MemberId);
        OwnedConnection connection = OwnedConnection.Open(account.ServerUrl, account.Tls);
        try
        {
            UnlockedSession session;
            try
            {
                session = await OpenAsync(connection, account.Email, r.Password, secretKey, account.DeviceId,
                    account.LastIterations > 0 ? account.LastIterations : null, (_, _) => account.ToRemembered(), store.ReadPins(account.MemberId),
                    r.AcceptRestore, person, cancellationToken).ConfigureAwait(false);
            }
            catch (CofferApiException e) when (e.Type == ErrorTypes.SignInFailed && store.ReadPendingSecretKey(account.MemberId) is { } pending)
            {
                // A Secret Key change whose answer was lost (docs/adr/0017): the server may have switched to the new key.
                using (pending)
                {
                    StoredAccount known = account;
                    session = await OpenAsync(connection, known.Email, r.Password, pending, known.DeviceId, known.LastIterations > 0 ? known.LastIterations : null,
                        (_, _) => known.ToRemembered(), store.ReadPins(known.MemberId), r.AcceptRestore, person, cancellationToken).ConfigureAwait(false);
                    store.PromotePendingSecretKey(account.MemberId);
                }
            }
            account = await KeepAsync(account, session, cancellationToken).ConfigureAwait(false);
            return ToResult(account, session.Warnings);
        }
        catch (Exception e) when (HostedLibrary.IsUnreachable(e) && account.OfflineWindowSeconds > 0 && !cancellationToken.IsCancellationRequested)
        {
            // The person allowed offline access on this device: read-only, from the local cache (docs/adr/0020-cli-items.md).
            connection.Dispose();
            await _items.UnlockOfflineAsync(store.Home, account, r.Password, secretKey, e, cancellationToken).ConfigureAwait(false);
            return ToResult(account) with { Offline = true };
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Sign-in (one 2SKD run, SRP-6a, the server's proof checked), then the account's keys fetched and unlocked with the
    /// AUK that run derived, every key's provenance checked to the pinned organisation fingerprint (AccountUnlock).
    /// </summary>
    private static async Task<UnlockedSession> OpenAsync(OwnedConnection connection, string email, string password, SecretKey secretKey,
        string deviceId, int? lastIterations, Func<string, AccountKeysResponse, RememberedAccount> remember, PinsDto? localPins, bool acceptRestore,
        AgentConversation? person, CancellationToken cancellationToken)
    {
        SignInResult signIn = await SignIn.SignInAsync(connection.Connection, email, password, secretKey, deviceId, UnlockedSession.DeviceInfo,
            KdfPolicy.Default, lastIterations, cancellationToken).ConfigureAwait(false);
        try
        {
            await SatisfyMfaAsync(signIn, person, cancellationToken).ConfigureAwait(false);
            AccountKeysResponse keys;
            try
            {
                keys = await signIn.Session.SendAsync(HttpMethod.Get, "/api/v1/account/keys", Wire.AccountKeysResponse, cancellationToken)
                    .ConfigureAwait(false);
            }
            catch (CofferApiException e) when (e.Status == 404)
            {
                throw new CliException(ExitCodes.Forbidden,
                    "Your account has no keys to unlock yet: an administrator of your organisation must confirm you first.", e.Problem);
            }
            RememberedAccount account = remember(signIn.Session.MemberId, keys);
            (UnlockedAccount unlocked, Pins? served, PinsDto? record) = await UnlockWithPinsAsync(signIn, keys, account, localPins, cancellationToken)
                .ConfigureAwait(false);
            try
            {
                await CheckRestoreEpochAsync(connection, unlocked, acceptRestore, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                unlocked.Dispose();
                throw;
            }
            return new UnlockedSession(
                new StoredAccount
                {
                    MemberId = account.MemberId,
                    OrgId = account.OrgId,
                    Email = email,
                    AccountId = account.AccountId,
                    OrganisationFingerprint = account.OrganisationFingerprint.ToString(),
                    LastIterations = unlocked.Account.LastIterations,
                    ServerUrl = connection.Connection.ServerUrl.ToString(),
                    DeviceId = deviceId,
                    Shorthand = "",
                },
                connection, signIn, unlocked)
            { StoredPins = served, StoredRecord = served is null ? null : record, ServedKeys = keys };
        }
        catch
        {
            await SignOutQuietlyAsync(signIn.Session).ConfigureAwait(false);
            signIn.Session.Dispose();
            signIn.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The second factor the sign-in owes (docs/adr/0022), asked of the person behind the connection: with none enrolled, an
    /// authenticator app is enrolled (its URI and QR code shown, its first code confirming it) and ten backup codes are made and
    /// shown once; else a code (TOTP or backup). A remembered device owes nothing and is asked nothing.
    /// </summary>
    private static async Task SatisfyMfaAsync(SignInResult signIn, AgentConversation? person, CancellationToken cancellationToken)
    {
        if (!signIn.Mfa.Required)
        {
            return;
        }
        if (person is null)
        {
            throw new CliException(ExitCodes.AuthFailed, Failures.SecondFactorMessage);
        }
        bool enrolling = signIn.Mfa.EnrolmentRequired;
        person.Server = signIn.Session.Connection.ServerUrl;
        try
        {
            // One attempt: a wrong code is one clear line; the person runs the command again with the next code.
            _ = await SignIn.SatisfyMfaAsync(signIn, person, attempts: 1, cancellationToken).ConfigureAwait(false);
        }
        catch (CofferApiException e) when (e.Type == ErrorTypes.MfaFailed)
        {
            throw new CliException(ExitCodes.AuthFailed, enrolling
                ? "That code was not accepted, so the authenticator app was not added: run the command again and enter the code the app shows."
                : "That one-time code was not accepted: use the current code from your authenticator app, or a backup code.", e.Problem);
        }
        if (enrolling)
        {
            IReadOnlyList<string> codes = await new MfaClient(signIn.Session).RegenerateBackupCodesAsync(cancellationToken).ConfigureAwait(false);
            await person.ShowBackupCodesAsync(codes, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Unlocks against the pins every device of the member verified (PROTOCOL.md §5.1): the keyset the first pass opens (its
    /// certificate checked to the pinned organisation) opens the server's sealed pins record and this device's own copy; merged,
    /// they are the pins the second pass checks every key against, so a key substituted since another device pinned it is
    /// refused. Returns the unlocked account and the pins the server's record held (null: none).
    /// </summary>
    private static async Task<(UnlockedAccount Account, Pins? Served, PinsDto? Record)> UnlockWithPinsAsync(SignInResult signIn, AccountKeysResponse keys,
        RememberedAccount account, PinsDto? localPins, CancellationToken cancellationToken)
    {
        using EnvelopeKey auk = signIn.AccountKeys.CreateAukKey();
        UnlockedAccount first = AccountUnlock.WithAuk(keys, auk, signIn.Kdf.Iterations, account, new Pins(), TimeProvider.System);
        Pins merged;
        Pins? served;
        PinsDto? result;
        try
        {
            PinsDto? record = await AccountPins.FetchAsync(signIn.Session, cancellationToken).ConfigureAwait(false);
            served = AccountPins.Open(first.Keyset, record);
            if (served is null && AccountPins.Open(first.Keyset, localPins) is null)
            {
                return (first, null, null);
            }
            (merged, _) = AccountPins.Merge(first.Keyset, record, localPins);
            result = record;
        }
        catch
        {
            first.Dispose();
            throw;
        }
        first.Dispose();
        return (AccountUnlock.WithAuk(keys, auk, signIn.Kdf.Iterations, account, merged, TimeProvider.System), served, result);
    }

    /// <summary>
    /// The server's restore epoch against the pins (docs/adr/0013): lower is refused; higher stops the unlock with the
    /// restore's message until the person runs <c>coffer unlock --accept-restore</c>.
    /// </summary>
    private static async Task CheckRestoreEpochAsync(OwnedConnection connection, UnlockedAccount unlocked, bool acceptRestore, CancellationToken cancellationToken)
    {
        try
        {
            _ = await RestoreEpochCheck.CheckAsync(connection.Connection, unlocked.Pins, cancellationToken).ConfigureAwait(false);
        }
        catch (ServerRestoredException e) when (acceptRestore)
        {
            RestoreEpochCheck.Acknowledge(unlocked.Pins, e);
        }
        catch (ServerRestoredException e)
        {
            throw new CliException(ExitCodes.Refused, e.Message + " Once your administrator has told you about it, run `coffer unlock --accept-restore`.", e);
        }
    }

    /// <summary>
    /// The offline window this unlock records in the cache: the device's own setting, but never longer than the organisation's
    /// (POLICY.md: "offline access only within the org's window"; the policy's <c>offlineWindowDays</c>, 0 by default). Read
    /// from the policy only when the device allows offline access at all; when the policy cannot be read, nothing is allowed.
    /// </summary>
    private static async Task<(TimeSpan Window, string? Notice)> OfflineWindowAsync(UnlockedSession session, StoredAccount account,
        CancellationToken cancellationToken)
    {
        TimeSpan device = TimeSpan.FromSeconds(account.OfflineWindowSeconds ?? 0);
        if (device <= TimeSpan.Zero)
        {
            return (TimeSpan.Zero, null);
        }
        int days;
        try
        {
            OrganisationPolicy policy = await session.RunAsync(s => new PolicyClient(s, session.Keys).GetAsync(cancellationToken), cancellationToken)
                .ConfigureAwait(false);
            days = policy.Settings.OfflineWindowDays;
        }
        catch (Exception e) when (e is CofferException or HttpRequestException)
        {
            return (TimeSpan.Zero, "The organisation's policy could not be read, so this unlock allows no offline access; the next one tries again.");
        }
        TimeSpan organisation = TimeSpan.FromDays(days);
        if (device <= organisation)
        {
            return (device, null);
        }
        return days == 0
            ? (TimeSpan.Zero, "Your organisation does not allow offline access, so this device's offline window is not used.")
            : (organisation, string.Create(CultureInfo.InvariantCulture,
                $"Your organisation allows offline access for at most {days} days, so this device's offline window is shortened to that."));
    }

    /// <summary>
    /// Stores what the unlock learned (the iteration count), hands the session to the agent's state, and runs the upkeep of an
    /// unlock (pins stored; an administrator's duties), whose warnings the session carries for the command.
    /// </summary>
    private async Task<StoredAccount> KeepAsync(StoredAccount account, UnlockedSession session, CancellationToken cancellationToken)
    {
        StoredAccount updated = account with { LastIterations = Math.Max(account.LastIterations, session.Keys.Account.LastIterations) };
        session.Account = updated;
        // The account's items: its local cache opened (the unlock recorded in it), loaded and synced in the background.
        state.RemoveOffline(updated.MemberId);
        string? offlineNotice;
        try
        {
            (TimeSpan offlineWindow, offlineNotice) = await OfflineWindowAsync(session, updated, cancellationToken).ConfigureAwait(false);
            session.Items ??= HostedLibrary.Open(session, store.Home, offlineWindow);
        }
        catch
        {
            session.Dispose();
            throw;
        }
        state.Add(session);
        await store.SaveAsync(updated, cancellationToken).ConfigureAwait(false);
        IReadOnlyList<string> warnings = await AccountUpkeep.RunAtUnlockAsync(session, store, cancellationToken).ConfigureAwait(false);
        session.Warnings = offlineNotice is null ? warnings : [.. warnings, offlineNotice];
        return updated;
    }

    private async Task<SignOutResult> SignOutAsync(SignOutRequest r, CancellationToken cancellationToken)
    {
        UnlockedSession? session = state.Remove(r.Account);
        if (session is not null)
        {
            using (session)
            {
                using (CancellationTokenSource flushing = new(TimeSpan.FromSeconds(3)))
                {
                    await session.Usage.FlushAsync(flushing.Token).ConfigureAwait(false);   // best effort: a failed report is not a failed sign-out
                }
                await new SessionClient(session.Session).SignOutAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        string shorthand = store.Find(r.Account)?.Shorthand ?? r.Account;
        if (r.Forget)
        {
            await store.ForgetAsync(r.Account, cancellationToken).ConfigureAwait(false);
        }
        return new SignOutResult(shorthand, r.Forget);
    }

    private async Task<WhoAmIResult> WhoAmIAsync(WhoAmIRequest r, CancellationToken cancellationToken)
    {
        UnlockedSession session = state.Get(r.Account);
        MemberDto me = await session.RunAsync(s => new MemberDirectory(s).GetAsync(s.MemberId, cancellationToken), cancellationToken).ConfigureAwait(false);
        StoredAccount a = session.Account;
        UnlockedAccount keys = session.Keys;
        Fingerprint organisation = Fingerprint.Parse(a.OrganisationFingerprint);
        Fingerprint encryption = keys.Certificate.Record.EncFpr;
        Fingerprint signing = keys.Certificate.Record.SigFpr;
        return new WhoAmIResult(a.Shorthand, me.Email, me.Name, me.Id, a.OrgId, RoleOf(me), me.State, [.. me.Groups.Select(g => g.Kind)], a.ServerUrl,
            a.DeviceId, session.Session.SessionId, organisation.ToDisplayString(), encryption.ToDisplayString(), signing.ToDisplayString(),
            ShortAuthenticationString.Compute(organisation.AsSpan(), me.Id, encryption.AsSpan(), signing.AsSpan()));
    }

    private async Task<JsonElement> EndSessionAsync(SessionEndRequest r, CancellationToken cancellationToken)
    {
        UnlockedSession session = state.Get(r.Account);
        await session.RunAsync(s => new SessionClient(s).EndAsync(r.SessionId, cancellationToken), cancellationToken).ConfigureAwait(false);
        return Result(new SignOutResult(session.Account.Shorthand, false), Json.SignOutResult);
    }

    private async Task<JsonElement> RevokeDeviceAsync(DeviceRevokeRequest r, CancellationToken cancellationToken)
    {
        UnlockedSession session = state.Get(r.Account);
        await session.RunAsync(s => new DeviceClient(s).DeauthoriseAsync(r.DeviceId, cancellationToken), cancellationToken).ConfigureAwait(false);
        return Result(new SignOutResult(session.Account.Shorthand, false), Json.SignOutResult);
    }

    internal static string RoleOf(MemberDto member)
    {
        bool Has(string kind) => member.Groups.Any(g => string.Equals(g.Kind, kind, StringComparison.Ordinal));
        if (Has(GroupKinds.Owners))
        {
            return "Owner";
        }
        if (Has(GroupKinds.Administrators))
        {
            return "Administrator";
        }
        return string.Equals(member.BaseGroup, GroupKinds.Guests, StringComparison.Ordinal) ? "Guest" : "Team Member";
    }

    private StoredAccount NewAccount(RememberedAccount remembered, Uri server, string shorthand, string? organisationName, ServerTrustSettings? tls) => new()
    {
        MemberId = remembered.MemberId,
        OrgId = remembered.OrgId,
        Email = remembered.Email,
        AccountId = remembered.AccountId,
        OrganisationFingerprint = remembered.OrganisationFingerprint.ToString(),
        LastIterations = remembered.LastIterations,
        ServerUrl = server.ToString(),
        DeviceId = UuidV7.New(TimeProvider.System),
        Shorthand = store.UniqueShorthand(shorthand, remembered.MemberId),
        OrganisationName = organisationName,
        Tls = tls,
    };

    private string DefaultKitPath(StoredAccount account) =>
        Path.Combine(store.Home.KitsDirectory, $"coffer-emergency-kit-{account.Shorthand}-{Slug(account.Email)}.txt");

    private void WriteKit(string path, EmergencyKit kit)
    {
        string? directory = Path.GetDirectoryName(path);
        if (directory is not null && path.StartsWith(store.Home.Root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            store.Home.EnsureDirectory(directory);
        }
        SecureFiles.CreateNew(path, kit.ToText());
    }

    private static async Task SignOutQuietlyAsync(Coffer.Sdk.Http.CofferSession session)
    {
        try
        {
            using CancellationTokenSource timeout = new(TimeSpan.FromSeconds(5));
            await new SessionClient(session).SignOutAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is CofferException or HttpRequestException or OperationCanceledException)
        {
            // Best effort: the server ends an unused session at its idle timeout anyway.
        }
    }

    internal static string NormaliseFingerprint(string text) =>
        new([.. text.Where(c => !char.IsWhiteSpace(c) && c != '-').Select(char.ToUpperInvariant)]);

    internal static string Slug(string text)
    {
        StringBuilder slug = new();
        foreach (char c in text.Trim().ToLowerInvariant())
        {
            if (char.IsAsciiLetterOrDigit(c))
            {
                slug.Append(c);
            }
            else if (slug.Length > 0 && slug[^1] != '-')
            {
                slug.Append('-');
            }
        }
        string result = slug.ToString().Trim('-');
        return result.Length == 0 ? "coffer" : result[..Math.Min(result.Length, 40)];
    }

    private static JsonElement Result<T>(T value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type) =>
        JsonSerializer.SerializeToElement(value, type);

    internal static AccountResult ToResult(StoredAccount a, IReadOnlyList<string>? warnings = null) =>
        new(a.Shorthand, a.MemberId, a.Email, a.OrgId, a.ServerUrl, Fingerprint.Parse(a.OrganisationFingerprint).ToDisplayString(), a.DeviceId,
            warnings is { Count: > 0 } ? warnings : null);

    internal static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
