using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Coffer.Cli.State;
using Coffer.Contracts.Groups;
using Coffer.Contracts.Members;
using Coffer.Contracts.Vaults;
using Coffer.Crypto.Accounts;
using Coffer.Crypto.Generators;
using Coffer.Sdk.Cache;
using Coffer.Sdk.Errors;
using Coffer.Sdk.Groups;
using Coffer.Sdk.Items;
using Coffer.Sdk.Members;

namespace Coffer.Cli.Agent;

/// <summary>
/// Vault and item calls in the agent (docs/adr/0020-cli-items.md). Lists, search and details come from the account's
/// <see cref="HostedLibrary"/> (synced when stale); changes go through it to the server and back. The view, copy and
/// history permissions of a vault are the client's to enforce (POLICY.md), so concealed values leave the agent only for a
/// member whose grant allows them, and only when asked for.
/// </summary>
internal sealed class ItemHandlers(AgentState state)
{
    private const string Member = "member";
    private const string Group = "group";
    private static readonly ItemJsonContext Json = ItemJsonContext.Default;

    public async Task<JsonElement> HandleAsync(ItemsRequest request, CancellationToken cancellationToken)
    {
        HostedLibrary items = state.Items(request.Account);
        ItemsAnswer answer = request.Call switch
        {
            VaultListCall => await VaultListAsync(items, cancellationToken).ConfigureAwait(false),
            VaultCreateCall c => await VaultCreateAsync(items, c, cancellationToken).ConfigureAwait(false),
            VaultShowCall c => await VaultShowAsync(items, c, cancellationToken).ConfigureAwait(false),
            VaultShareCall c => await VaultShareAsync(items, c, cancellationToken).ConfigureAwait(false),
            VaultUnshareCall c => await VaultUnshareAsync(items, c, cancellationToken).ConfigureAwait(false),
            VaultRotateCall c => await VaultRotateAsync(items, c, cancellationToken).ConfigureAwait(false),
            ItemListCall c => await ItemListAsync(items, c, cancellationToken).ConfigureAwait(false),
            ItemGetCall c => await ItemGetAsync(items, c, cancellationToken).ConfigureAwait(false),
            ItemCreateCall c => await ItemCreateAsync(items, c, cancellationToken).ConfigureAwait(false),
            ItemEditCall c => await ItemEditAsync(items, c, cancellationToken).ConfigureAwait(false),
            ItemStateCall c => await ItemStateAsync(items, c, cancellationToken).ConfigureAwait(false),
            ItemHistoryCall c => await ItemHistoryAsync(items, c, cancellationToken).ConfigureAwait(false),
            _ => throw new CliException(ExitCodes.Usage, "The agent does not know this call; is the agent older than this coffer? Run `coffer lock` and retry."),
        };
        return JsonSerializer.SerializeToElement(answer, Json.ItemsAnswer);
    }

    /// <summary>
    /// Unlocks an account from its local cache when the server cannot be reached and this device allows offline access:
    /// read-only, until an online unlock.
    /// </summary>
    public async Task UnlockOfflineAsync(CofferHome home, StoredAccount account, string password, SecretKey secretKey, Exception unreachable,
        CancellationToken cancellationToken)
    {
        HostedLibrary items;
        try
        {
            items = await HostedLibrary.OpenOfflineAsync(home, account, password, secretKey, cancellationToken).ConfigureAwait(false);
        }
        catch (LocalCacheException e)
        {
            throw new CliException(ExitCodes.Unreachable, Failures.From(unreachable).Message + " Offline, from this device's cache: " + e.Message, e);
        }
        state.AddOffline(new OfflineAccount(account, items));
    }

    private static async Task<ItemsAnswer> VaultListAsync(HostedLibrary items, CancellationToken cancellationToken)
    {
        (ItemLibrary library, string? notice) = await items.FreshAsync(cancellationToken).ConfigureAwait(false);
        return Answer<IReadOnlyList<VaultView>>([.. library.Vaults.Select(View)], Json.IReadOnlyListVaultView, notice);
    }

    private static async Task<ItemsAnswer> VaultCreateAsync(HostedLibrary items, VaultCreateCall call, CancellationToken cancellationToken)
    {
        string name = call.Name.Trim();
        if (name.Length is 0 or > 200)
        {
            throw new CliException(ExitCodes.Usage, "A vault's name is 1 to 200 characters.");
        }
        VaultDto vault = await items.WriteAsync(library => library.RunAsync(v => v.CreateVaultAsync("shared", name, call.SafeForTravel, cancellationToken),
            cancellationToken), cancellationToken).ConfigureAwait(false);
        ItemLibrary synced = await items.LibraryAsync(cancellationToken).ConfigureAwait(false);
        VaultSummary summary = synced.Vaults.FirstOrDefault(v => v.VaultId == vault.Id)
            ?? throw new CliException(ExitCodes.Refused, "The new vault is not among the vaults the server lists.");
        return Answer(View(summary), Json.VaultView);
    }

    private static async Task<ItemsAnswer> VaultShowAsync(HostedLibrary items, VaultShowCall call, CancellationToken cancellationToken)
    {
        (ItemLibrary library, string? notice) = await items.FreshAsync(cancellationToken).ConfigureAwait(false);
        VaultSummary vault = ResolveVault(library, call.Vault);
        IReadOnlyList<GrantView>? grants = null;
        if (!items.IsOffline && notice is null && vault.Permissions.Contains(VaultPermissions.ManageVault))
        {
            VaultGrantListResponse listed = await items.Session.RunAsync(_ => items.Vaults.ListGrantsAsync(vault.VaultId, cancellationToken), cancellationToken)
                .ConfigureAwait(false);
            (IReadOnlyList<MemberDto> members, IReadOnlyList<GroupSummaryDto> groups) = await DirectoryAsync(items, cancellationToken).ConfigureAwait(false);
            grants = [.. listed.Grants.Select(g => new GrantView(g.PrincipalKind, g.PrincipalId, NameOf(g.PrincipalKind, g.PrincipalId, members, groups),
                g.Permissions, g.KeySerial))];
        }
        return Answer(new VaultDetails(View(vault), grants), Json.VaultDetails, notice);
    }

    private static async Task<ItemsAnswer> VaultShareAsync(HostedLibrary items, VaultShareCall call, CancellationToken cancellationToken)
    {
        (ItemLibrary library, _) = await items.FreshAsync(cancellationToken).ConfigureAwait(false);
        VaultSummary vault = ResolveVault(library, call.Vault);
        Require(vault, VaultPermissions.ManageVault, "sharing it");
        IReadOnlyList<string> permissions = VaultPermissions.Canonical(call.Permissions) ?? throw new CliException(ExitCodes.Usage,
            "Permissions are a set of these names, each once, including view_items: " + string.Join(", ", VaultPermissions.All) + ".");
        (string kind, string id, string name) = await PrincipalAsync(items, call.Member, call.Group, cancellationToken).ConfigureAwait(false);
        VaultGrantSummaryDto grant = await items.WriteAsync(l => l.RunAsync(v => kind == Member
            ? v.ShareAsync(vault.VaultId, id, permissions, cancellationToken)
            : v.ShareWithGroupAsync(vault.VaultId, id, permissions, cancellationToken), cancellationToken), cancellationToken).ConfigureAwait(false);
        return Answer(new GrantView(kind, id, name, grant.Permissions, grant.KeySerial), Json.GrantView);
    }

    private static async Task<ItemsAnswer> VaultUnshareAsync(HostedLibrary items, VaultUnshareCall call, CancellationToken cancellationToken)
    {
        (ItemLibrary library, _) = await items.FreshAsync(cancellationToken).ConfigureAwait(false);
        VaultSummary vault = ResolveVault(library, call.Vault);
        Require(vault, VaultPermissions.ManageVault, "removing access to it");
        (string kind, string id, string name) = await PrincipalAsync(items, call.Member, call.Group, cancellationToken).ConfigureAwait(false);
        if (!await HasGrantAsync(items, vault.VaultId, kind, id, cancellationToken).ConfigureAwait(false))
        {
            throw new CliException(ExitCodes.NotFound, $"{name} has no access of its own to vault \"{vault.Name}\" (see `coffer vault show`).");
        }
        int couldRead = library.Search(new ItemQuery { VaultId = vault.VaultId, States = ItemStates.All }).Count;
        VaultDto? rotated;
        try
        {
            rotated = await items.WriteAsync(l => l.RunAsync(v => v.UnshareAsync(vault.VaultId, kind, id, cancellationToken), cancellationToken),
                cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not (CliException or CofferDeviceWipedException or OperationCanceledException or ObjectDisposedException))
        {
            // UnshareAsync removes the grant, then rotates: if only the rotation failed, say what is left to do.
            if (!await HasGrantAsync(items, vault.VaultId, kind, id, cancellationToken).ConfigureAwait(false))
            {
                AgentFailure failure = Failures.From(e);
                throw new CliException(failure.ExitCode, $"Access was removed, but rotating the vault key failed ({failure.Message}); run `coffer vault rotate {vault.VaultId}`.",
                    failure.Problem);
            }
            throw;
        }
        GrantView removed = new(kind, id, name, [], vault.KeySerial);
        return Answer(new UnshareResult(vault.VaultId, vault.Name, removed, rotated is not null, rotated?.KeySerial ?? vault.KeySerial, couldRead),
            Json.UnshareResult);
    }

    private static async Task<ItemsAnswer> VaultRotateAsync(HostedLibrary items, VaultRotateCall call, CancellationToken cancellationToken)
    {
        (ItemLibrary library, _) = await items.FreshAsync(cancellationToken).ConfigureAwait(false);
        VaultSummary vault = ResolveVault(library, call.Vault);
        Require(vault, VaultPermissions.ManageVault, "rotating its key");
        await items.WriteAsync(l => l.RunAsync(v => v.RotateAsync(vault.VaultId, cancellationToken), cancellationToken), cancellationToken)
            .ConfigureAwait(false);
        VaultSummary rotated = library.Vaults.FirstOrDefault(v => v.VaultId == vault.VaultId)
            ?? throw new CliException(ExitCodes.NotFound, $"Vault \"{vault.Name}\" is no longer yours to see.");
        return Answer(View(rotated), Json.VaultView);
    }

    private static async Task<ItemsAnswer> ItemListAsync(HostedLibrary items, ItemListCall call, CancellationToken cancellationToken)
    {
        (ItemLibrary library, string? notice) = await items.FreshAsync(cancellationToken).ConfigureAwait(false);
        string? category = call.Category?.Trim().ToLowerInvariant();
        if (category is not null && !ItemCategories.IsKnown(category))
        {
            throw new CliException(ExitCodes.Usage, "Categories are: " + string.Join(", ", ItemCategories.All) + ".");
        }
        ItemQuery query = new()
        {
            Text = call.Text,
            VaultId = call.Vault is null ? null : ResolveVault(library, call.Vault).VaultId,
            Category = category,
            Tag = call.Tag,
            States = call.States switch
            {
                "archived" => ItemStates.Archived,
                "trashed" => ItemStates.Trashed,
                "all" => ItemStates.All,
                _ => ItemStates.Active,
            },
            Limit = call.Limit,
        };
        Dictionary<string, string> vaults = VaultNames(library);
        return Answer<IReadOnlyList<ItemView>>([.. library.Search(query).Select(i => View(i, vaults))], Json.IReadOnlyListItemView, notice);
    }

    private static async Task<ItemsAnswer> ItemGetAsync(HostedLibrary items, ItemGetCall call, CancellationToken cancellationToken)
    {
        (ItemLibrary library, string? notice) = await items.FreshAsync(cancellationToken).ConfigureAwait(false);
        ItemSummary summary = ResolveItem(library, call.Item, call.Vault is null ? null : ResolveVault(library, call.Vault).VaultId);
        VaultSummary vault = VaultOf(library, summary);
        ItemContent content = await items.ReadItemAsync(library, summary, cancellationToken).ConfigureAwait(false)
            ?? throw new CliException(ExitCodes.NotFound, $"Item \"{summary.Title}\" is gone.");
        ItemDetails details = content.Details;
        if (call.Otp)
        {
            Require(vault, VaultPermissions.ViewAndCopyPasswords, "one-time passwords");
            OtpCode code;
            try
            {
                code = details.CurrentOtp(DateTimeOffset.UtcNow)
                    ?? throw new CliException(ExitCodes.NotFound, $"Item \"{summary.Title}\" has no one-time password.");
            }
            catch (FormatException)
            {
                throw new CliException(ExitCodes.Error, $"Item \"{summary.Title}\" has a one-time password setting that is not a valid otpauth://totp URI.");
            }
            Used(items, summary, ItemUsageActions.Otp, "otp");
            return Answer(new FieldValueResult(summary.ItemId, "otp", code.Code, code.ValidUntil.ToUnixTimeMilliseconds()), Json.FieldValueResult, notice);
        }
        if (call.Field is string wanted)
        {
            ItemField field = FindField(details, wanted)
                ?? throw new CliException(ExitCodes.NotFound, $"Item \"{summary.Title}\" has no field \"{wanted}\""
                    + (details.Fields.Count == 0 ? "." : " (its fields: " + string.Join(", ", details.Fields.Select(f => f.Label)) + ")."));
            if (IsConcealed(field))
            {
                Require(vault, VaultPermissions.ViewAndCopyPasswords, "revealing or copying concealed values");
                Used(items, summary, call.Copy ? ItemUsageActions.Copy : ItemUsageActions.Reveal, UsedField(field));
            }
            return Answer(new FieldValueResult(summary.ItemId, field.Label, field.Value), Json.FieldValueResult, notice);
        }
        if (call.Reveal)
        {
            Require(vault, VaultPermissions.ViewAndCopyPasswords, "revealing concealed values");
            if (details.Fields.Any(IsConcealed))
            {
                Used(items, summary, ItemUsageActions.Reveal, null);
            }
        }
        List<FieldView> fields = [.. details.Fields.Select(f => new FieldView(f.Id, f.Label, f.Type, f.Purpose,
            IsConcealed(f) && !call.Reveal ? null : f.Value, IsConcealed(f)))];
        ItemDetailsView view = new(View(summary, VaultNames(library)), fields, details.Notes, details.Totp is not null
            || details.Fields.Any(f => f.Type == ItemFieldTypes.Otp), call.Reveal ? details.Totp?.Uri : null, details.PasswordHistory.Count);
        return Answer(view, Json.ItemDetailsView, notice);
    }

    private static async Task<ItemsAnswer> ItemCreateAsync(HostedLibrary items, ItemCreateCall call, CancellationToken cancellationToken)
    {
        if (items.IsOffline)
        {
            throw new CliException(ExitCodes.Unreachable, HostedLibrary.OfflineWriteMessage);
        }
        (ItemLibrary library, _) = await items.FreshAsync(cancellationToken).ConfigureAwait(false);
        VaultSummary vault = call.Vault is not null ? ResolveVault(library, call.Vault) : DefaultVault(library);
        Require(vault, VaultPermissions.CreateItems, "creating items");
        string category = call.Category.Trim().ToLowerInvariant();
        if (!ItemCategories.IsKnown(category))
        {
            throw new CliException(ExitCodes.Usage, "Categories are: " + string.Join(", ", ItemCategories.All) + ".");
        }
        ItemOverview overview = new() { Category = category };
        ItemDetails details = new();
        Apply(call.Changes with { Title = call.Title }, overview, details, DateTimeOffset.UtcNow);
        ItemSummary created = await items.WriteAsync(l => l.CreateAsync(vault.VaultId, overview, details, cancellationToken), cancellationToken)
            .ConfigureAwait(false);
        return Answer(View(created, VaultNames(library)), Json.ItemView);
    }

    private static async Task<ItemsAnswer> ItemEditAsync(HostedLibrary items, ItemEditCall call, CancellationToken cancellationToken)
    {
        if (items.IsOffline)
        {
            throw new CliException(ExitCodes.Unreachable, HostedLibrary.OfflineWriteMessage);
        }
        // No sync first: the edit is made against the version this device holds, so a change made elsewhere since is a
        // conflict the person sees, not one silently overwritten.
        ItemLibrary library = await items.LibraryAsync(cancellationToken).ConfigureAwait(false);
        ItemSummary summary = ResolveItem(library, call.Item, call.Vault is null ? null : ResolveVault(library, call.Vault).VaultId);
        VaultSummary vault = VaultOf(library, summary);
        Require(vault, VaultPermissions.EditItems, "editing items");
        try
        {
            ItemSummary edited = await items.WriteAsync(async l =>
            {
                ItemContent current = await l.OpenItemAsync(summary.ItemId, cancellationToken).ConfigureAwait(false)
                    ?? throw new CliException(ExitCodes.NotFound, $"Item \"{summary.Title}\" is gone.");
                ItemOverview overview = current.Overview;
                ItemDetails details = current.Details;
                Apply(call.Changes, overview, details, DateTimeOffset.UtcNow);
                return await l.UpdateAsync(summary.ItemId, overview, details, cancellationToken).ConfigureAwait(false);
            }, cancellationToken).ConfigureAwait(false);
            return Answer(View(edited, VaultNames(library)), Json.ItemView);
        }
        catch (CofferApiException e) when (e.Status is 409 or 412)
        {
            await items.TrySyncVaultAsync(summary.VaultId, cancellationToken).ConfigureAwait(false);
            throw new CliException(ExitCodes.Conflict, Invariant($"\"{summary.Title}\" was changed elsewhere since this device's copy (version {summary.Version}); ")
                + $"nothing was saved. coffer has fetched the current version: look at it (`coffer item get {summary.ItemId}`) and make your change again.",
                e.Problem);
        }
    }

    private static async Task<ItemsAnswer> ItemStateAsync(HostedLibrary items, ItemStateCall call, CancellationToken cancellationToken)
    {
        if (items.IsOffline)
        {
            throw new CliException(ExitCodes.Unreachable, HostedLibrary.OfflineWriteMessage);
        }
        ItemLibrary library = await items.LibraryAsync(cancellationToken).ConfigureAwait(false);
        ItemSummary summary = ResolveItem(library, call.Item, call.Vault is null ? null : ResolveVault(library, call.Vault).VaultId);
        VaultSummary vault = VaultOf(library, summary);
        Dictionary<string, string> vaults = VaultNames(library);
        switch (call.Action)
        {
            case "archive":
                Require(vault, VaultPermissions.ArchiveItems, "archiving items");
                return Answer(View(await items.WriteAsync(l => l.ArchiveAsync(summary.ItemId, cancellationToken), cancellationToken).ConfigureAwait(false), vaults),
                    Json.ItemView);
            case "trash":
                Require(vault, VaultPermissions.DeleteItems, "moving items to the trash");
                return Answer(View(await items.WriteAsync(l => l.TrashAsync(summary.ItemId, cancellationToken), cancellationToken).ConfigureAwait(false), vaults),
                    Json.ItemView);
            case "restore":
                Require(vault, summary.Trashed ? VaultPermissions.DeleteItems : VaultPermissions.ArchiveItems, "restoring items");
                return Answer(View(await items.WriteAsync(l => l.RestoreAsync(summary.ItemId, cancellationToken), cancellationToken).ConfigureAwait(false), vaults),
                    Json.ItemView);
            case "delete":
                Require(vault, VaultPermissions.DeleteItems, "deleting items");
                try
                {
                    await items.WriteAsync(async l =>
                    {
                        await l.DeleteAsync(summary.ItemId, cancellationToken).ConfigureAwait(false);
                        return true;
                    }, cancellationToken).ConfigureAwait(false);
                }
                catch (CofferApiException e) when (e.Status is 409 or 412)
                {
                    await items.TrySyncVaultAsync(summary.VaultId, cancellationToken).ConfigureAwait(false);
                    throw new CliException(ExitCodes.Conflict, $"\"{summary.Title}\" was changed elsewhere since this device's copy; nothing was deleted. "
                        + $"Look at the current version (`coffer item get {summary.ItemId}`) and delete again if you still mean to.", e.Problem);
                }
                return Answer(View(summary, vaults), Json.ItemView);
            default:
                throw new CliException(ExitCodes.Usage, "An item is archived, trashed, restored or deleted.");
        }
    }

    private static async Task<ItemsAnswer> ItemHistoryAsync(HostedLibrary items, ItemHistoryCall call, CancellationToken cancellationToken)
    {
        if (items.IsOffline)
        {
            throw new CliException(ExitCodes.Unreachable, OfflineAccount.NeedsServerMessage);
        }
        (ItemLibrary library, string? notice) = await items.FreshAsync(cancellationToken).ConfigureAwait(false);
        ItemSummary summary = ResolveItem(library, call.Item, call.Vault is null ? null : ResolveVault(library, call.Vault).VaultId);
        VaultSummary vault = VaultOf(library, summary);
        Require(vault, VaultPermissions.ViewItemHistory, "seeing earlier versions");
        if (call.Reveal)
        {
            Require(vault, VaultPermissions.ViewAndCopyPasswords, "revealing earlier passwords");
        }
        IReadOnlyList<ItemVersion> versions = await items.Session.RunAsync(_ => library.HistoryAsync(summary.ItemId, cancellationToken), cancellationToken)
            .ConfigureAwait(false);
        ItemContent content = await items.ReadItemAsync(library, summary, cancellationToken).ConfigureAwait(false)
            ?? throw new CliException(ExitCodes.NotFound, $"Item \"{summary.Title}\" is gone.");
        ItemHistoryView view = new(View(summary, VaultNames(library)),
            [.. versions.Select(v => new VersionView(v.Version, v.StoredAt.ToUnixTimeMilliseconds(), v.VaultKeySerial, v.Overview?.Title, v.Overview?.Archived,
                v.Overview?.Trashed))],
            [.. content.Details.PasswordHistory.Select(p => new PasswordChangeView(p.ChangedAt, call.Reveal ? p.Value : null))]);
        if (call.Reveal && content.Details.PasswordHistory.Count > 0)
        {
            Used(items, summary, ItemUsageActions.Reveal, "password_history");
        }
        return Answer(view, Json.ItemHistoryView, notice);
    }

    /// <summary>Applies the changes asked for to an overview and details (both edited in place).</summary>
    /// <exception cref="CliException">A value that cannot be used (a concealed field's value from the command line, a bad TOTP URI).</exception>
    internal static void Apply(ItemChanges changes, ItemOverview overview, ItemDetails details, DateTimeOffset now)
    {
        if (changes.Title is string title)
        {
            overview.Title = title.Trim();
        }
        if (changes.Username is string username)
        {
            string? before = details.Username;
            ItemField? field = details.FieldWithPurpose(ItemFieldPurposes.Username);
            if (field is null)
            {
                details.Fields.Insert(0, new ItemField
                {
                    Id = ItemField.NewId(),
                    Label = "username",
                    Type = ItemFieldTypes.Text,
                    Value = username,
                    Purpose = ItemFieldPurposes.Username,
                });
            }
            else
            {
                field.Value = username;
            }
            // Lists show the username as the second line unless the person chose another.
            if (changes.Subtitle is null && (overview.Subtitle is null || overview.Subtitle == before))
            {
                overview.Subtitle = username.Length == 0 ? null : username;
            }
        }
        if (changes.Subtitle is string subtitle)
        {
            overview.Subtitle = subtitle.Length == 0 ? null : subtitle;
        }
        if (changes.Urls is IReadOnlyList<string> urls)
        {
            overview.Urls = [.. urls.Where(u => u.Trim().Length > 0).Select(u => new ItemUrl { Href = u.Trim() })];
        }
        if (changes.Tags is IReadOnlyList<string> tags)
        {
            overview.Tags = [];
            AddTags(overview, tags);
        }
        AddTags(overview, changes.AddTags ?? []);
        foreach (string tag in changes.RemoveTags ?? [])
        {
            overview.Tags.RemoveAll(t => string.Equals(t, tag.Trim(), StringComparison.OrdinalIgnoreCase));
        }
        if (changes.Notes is string notes)
        {
            details.Notes = notes.Length == 0 ? null : notes;
        }
        foreach (FieldValue set in changes.Fields ?? [])
        {
            ItemField? field = details.Fields.FirstOrDefault(f => string.Equals(f.Label, set.Label, StringComparison.OrdinalIgnoreCase));
            if (field is not null && IsConcealed(field))
            {
                throw new CliException(ExitCodes.Usage, $"Field \"{field.Label}\" is concealed: its value cannot come from the command line.");
            }
            if (field is null)
            {
                details.Fields.Add(new ItemField { Id = ItemField.NewId(), Label = set.Label, Type = ItemFieldTypes.Text, Value = set.Value });
            }
            else
            {
                field.Value = set.Value;
            }
        }
        string? password = changes.Password ?? (changes.Generate is GenerateSpec generate ? Generate(generate) : null);
        if (password is not null)
        {
            details.SetPassword(password, now);
        }
        if (changes.TotpUri is string uri)
        {
            try
            {
                _ = OtpCode.Compute(uri.Trim(), now);
            }
            catch (FormatException)
            {
                throw new CliException(ExitCodes.Usage, "That is not a one-time password URI: it looks like otpauth://totp/Label?secret=BASE32SECRET.");
            }
            details.Totp = new ItemTotp { Uri = uri.Trim() };
        }
        if (changes.Favourite is bool favourite)
        {
            overview.Favourite = favourite;
        }
    }

    private static void AddTags(ItemOverview overview, IEnumerable<string> tags)
    {
        foreach (string tag in tags.Select(t => t.Trim()).Where(t => t.Length > 0))
        {
            if (!overview.Tags.Contains(tag, StringComparer.OrdinalIgnoreCase))
            {
                overview.Tags.Add(tag);
            }
        }
    }

    private static string Generate(GenerateSpec spec)
    {
        try
        {
            return spec.Words is int words
                ? PassphraseGenerator.Generate(new PassphraseOptions { WordCount = words })
                : PasswordGenerator.Generate(new PasswordOptions { Length = spec.Length ?? 20 });
        }
        catch (ArgumentException e)
        {
            throw new CliException(ExitCodes.Usage, e.Message);
        }
    }

    /// <summary>Concealed: a concealed or one-time-password field, or whatever holds the password.</summary>
    /// <summary>
    /// Queues a use of a concealed value for the activity log (POLICY.md "Accounting"); it is reported in the background, so the
    /// answer never waits for it. Uses while offline have no session to report to and are not logged.
    /// </summary>
    private static void Used(HostedLibrary items, ItemSummary summary, string action, string? field)
    {
        if (!items.IsOffline)
        {
            items.Session.Usage.Add(new ItemUsageDto(summary.VaultId, summary.ItemId, action, field, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));
        }
    }

    /// <summary>The field's purpose for the log, never its label (sealed item content).</summary>
    private static string UsedField(ItemField field) =>
        field.Purpose is { Length: > 0 } purpose && purpose.All(ch => ch is (>= 'a' and <= 'z') or '_') && purpose.Length <= 20 ? purpose
        : field.Type == ItemFieldTypes.Otp ? "otp" : "other";

    internal static bool IsConcealed(ItemField field) =>
        field.Type is ItemFieldTypes.Concealed or ItemFieldTypes.Otp || field.Purpose == ItemFieldPurposes.Password;

    /// <summary>"password" and "username" name the fields with those purposes; anything else a label (any case) or a field id.</summary>
    internal static ItemField? FindField(ItemDetails details, string wanted)
    {
        string w = wanted.Trim();
        if (ItemFieldPurposes.IsKnown(w.ToLowerInvariant()) && details.FieldWithPurpose(w.ToLowerInvariant()) is ItemField byPurpose)
        {
            return byPurpose;
        }
        return details.Fields.FirstOrDefault(f => string.Equals(f.Label, w, StringComparison.OrdinalIgnoreCase))
            ?? details.Fields.FirstOrDefault(f => string.Equals(f.Id, w, StringComparison.Ordinal));
    }

    /// <summary>A vault by id, else by name (any case).</summary>
    internal static VaultSummary ResolveVault(ItemLibrary library, string selector)
    {
        string s = selector.Trim();
        IReadOnlyList<VaultSummary> vaults = library.Vaults;
        if (vaults.FirstOrDefault(v => v.VaultId == s) is VaultSummary byId)
        {
            return byId;
        }
        List<VaultSummary> named = [.. vaults.Where(v => string.Equals(v.Name, s, StringComparison.OrdinalIgnoreCase))];
        return named.Count switch
        {
            1 => named[0],
            0 => throw new CliException(ExitCodes.NotFound, $"No vault \"{s}\" among yours (see `coffer vault list`)."),
            _ => throw new CliException(ExitCodes.Usage, $"Several vaults are called \"{s}\": name one by id ({string.Join(", ", named.Select(v => v.VaultId))})."),
        };
    }

    /// <summary>
    /// An item by id; else by title (any case), else by search text if exactly one item matches; active items first.
    /// </summary>
    internal static ItemSummary ResolveItem(ItemLibrary library, string selector, string? vaultId)
    {
        string s = selector.Trim();
        if (s.Length == 0)
        {
            throw new CliException(ExitCodes.Usage, "Name the item by its id or title.");
        }
        if (library.Find(s) is ItemSummary byId && (vaultId is null || byId.VaultId == vaultId))
        {
            return byId;
        }
        // The common case, one active item of exactly that title, from the index's title order; anything else (none, several,
        // a title that is only part of one) goes through the search below, which says why.
        List<ItemSummary> exact = [.. library.WithTitle(s).Where(i => !i.Archived && !i.Trashed && (vaultId is null || i.VaultId == vaultId)
            && string.Equals(i.Title, s, StringComparison.OrdinalIgnoreCase))];
        if (exact.Count == 1)
        {
            return exact[0];
        }
        // An exact title holds every word of itself, so the text search (over the index, milliseconds for 100 000 items)
        // finds every candidate; active items first, then archived and trashed ones.
        foreach (ItemStates states in (ItemStates[])[ItemStates.Active, ItemStates.All])
        {
            IReadOnlyList<ItemSummary> found = library.Search(new ItemQuery { Text = s, VaultId = vaultId, States = states });
            List<ItemSummary> titled = [.. found.Where(i => string.Equals(i.Title, s, StringComparison.OrdinalIgnoreCase))];
            if (titled.Count == 1 || (titled.Count == 0 && found.Count == 1))
            {
                return titled.Count == 1 ? titled[0] : found[0];
            }
            if (titled.Count > 1 || found.Count > 1)
            {
                throw Ambiguous(s, titled.Count > 1 ? titled : found);
            }
        }
        throw new CliException(ExitCodes.NotFound, $"No item \"{s}\" (see `coffer item list`).");
    }

    private static CliException Ambiguous(string selector, IReadOnlyList<ItemSummary> matches) =>
        new(ExitCodes.Usage, $"Several items match \"{selector}\": name one by id ("
            + string.Join(", ", matches.Take(5).Select(m => $"{m.ItemId} \"{m.Title}\"")) + (matches.Count > 5 ? ", …" : "") + ").");

    private static VaultSummary DefaultVault(ItemLibrary library)
    {
        IReadOnlyList<VaultSummary> vaults = library.Vaults;
        if (vaults.FirstOrDefault(v => v.Kind == "personal") is VaultSummary personal)
        {
            return personal;
        }
        List<VaultSummary> writable = [.. vaults.Where(v => v.Permissions.Contains(VaultPermissions.CreateItems))];
        return writable.Count == 1
            ? writable[0]
            : throw new CliException(ExitCodes.Usage, "Name the vault with --vault (see `coffer vault list`).");
    }

    private static VaultSummary VaultOf(ItemLibrary library, ItemSummary item) =>
        library.Vault(item.VaultId) ?? throw new CliException(ExitCodes.NotFound, $"Item \"{item.Title}\" is gone.");

    private static void Require(VaultSummary vault, string permission, string doing)
    {
        if (!vault.Permissions.Contains(permission, StringComparer.Ordinal))
        {
            throw new CliException(ExitCodes.Forbidden,
                $"Not allowed: {doing} in vault \"{vault.Name}\" needs the {permission} permission, which your access does not include.");
        }
    }

    /// <summary>A member by email or id, or a group by name, kind or id; as (kind, id, display name).</summary>
    private static async Task<(string Kind, string Id, string Name)> PrincipalAsync(HostedLibrary items, string? member, string? group,
        CancellationToken cancellationToken)
    {
        if ((member is null) == (group is null))
        {
            throw new CliException(ExitCodes.Usage, "Name either a member (--member <email|id>) or a group (--group <name|id>).");
        }
        (IReadOnlyList<MemberDto> members, IReadOnlyList<GroupSummaryDto> groups) = await DirectoryAsync(items, cancellationToken).ConfigureAwait(false);
        if (member is not null)
        {
            string m = member.Trim();
            MemberDto found = members.FirstOrDefault(x => x.Id == m) ?? members.FirstOrDefault(x => string.Equals(x.Email, m, StringComparison.OrdinalIgnoreCase))
                ?? throw new CliException(ExitCodes.NotFound, $"No member \"{m}\" in the organisation (see `coffer member list`).");
            return (Member, found.Id, found.Email);
        }
        string g = group!.Trim();
        List<GroupSummaryDto> matches = [.. groups.Where(x => x.Id == g)];
        if (matches.Count == 0)
        {
            matches = [.. groups.Where(x => string.Equals(x.Name, g, StringComparison.OrdinalIgnoreCase) || string.Equals(x.Kind, g, StringComparison.OrdinalIgnoreCase))];
        }
        return matches.Count switch
        {
            1 => (Group, matches[0].Id, matches[0].Name),
            0 => throw new CliException(ExitCodes.NotFound, $"No group \"{g}\" in the organisation."),
            _ => throw new CliException(ExitCodes.Usage, $"Several groups are called \"{g}\": name one by id."),
        };
    }

    private static async Task<(IReadOnlyList<MemberDto> Members, IReadOnlyList<GroupSummaryDto> Groups)> DirectoryAsync(HostedLibrary items,
        CancellationToken cancellationToken)
    {
        UnlockedSession session = items.Session;
        IReadOnlyList<MemberDto> members = await session.RunAsync(s => new MemberDirectory(s).ListAsync(cancellationToken), cancellationToken)
            .ConfigureAwait(false);
        IReadOnlyList<GroupSummaryDto> groups = await session.RunAsync(async s =>
        {
            using GroupClient client = new(s, session.Keys);
            return await client.ListAsync(cancellationToken).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
        return (members, groups);
    }

    private static async Task<bool> HasGrantAsync(HostedLibrary items, string vaultId, string kind, string id, CancellationToken cancellationToken)
    {
        try
        {
            VaultGrantListResponse grants = await items.Session.RunAsync(_ => items.Vaults.ListGrantsAsync(vaultId, cancellationToken), cancellationToken)
                .ConfigureAwait(false);
            return grants.Grants.Any(g => g.PrincipalKind == kind && g.PrincipalId == id);
        }
        catch (CofferApiException e) when (e.Status is 403 or 404)
        {
            // No longer ours to manage (we removed ourselves): nothing of theirs we can see.
            return false;
        }
    }

    private static string? NameOf(string kind, string id, IReadOnlyList<MemberDto> members, IReadOnlyList<GroupSummaryDto> groups) => kind == Member
        ? members.FirstOrDefault(m => m.Id == id)?.Email
        : groups.FirstOrDefault(g => g.Id == id)?.Name;

    private static Dictionary<string, string> VaultNames(ItemLibrary library) =>
        library.Vaults.ToDictionary(v => v.VaultId, v => v.Name, StringComparer.Ordinal);

    private static VaultView View(VaultSummary v) => new(v.VaultId, v.Name, v.Kind, v.ItemCount, v.KeySerial, v.Permissions, v.SafeForTravel);

    private static ItemView View(ItemSummary i, Dictionary<string, string> vaults) =>
        new(i.ItemId, i.VaultId, vaults.GetValueOrDefault(i.VaultId) ?? i.VaultId, i.Category, i.Title, i.Subtitle, i.Urls, i.Tags, i.Favourite, i.Archived,
            i.Trashed, i.UpdatedAt.ToUnixTimeMilliseconds(), i.Version);

    private static ItemsAnswer Answer<T>(T value, JsonTypeInfo<T> type, string? notice = null) =>
        new(JsonSerializer.SerializeToElement(value, type), notice);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
