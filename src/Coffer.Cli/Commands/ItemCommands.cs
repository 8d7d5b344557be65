using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Coffer.Cli.Agent;
using Coffer.Cli.Terminal;

namespace Coffer.Cli.Commands;

/// <summary>
/// <c>item list|search|get|create|edit|delete|trash|archive|restore|history</c>, through the agent's library of the account.
/// Concealed values are shown only with <c>--reveal</c> or <c>--field</c>, and come into this process only then; an item's
/// password is never taken from the command line (a prompt without echo, stdin, or <c>--generate</c>).
/// </summary>
internal static class ItemCommands
{
    private const string Concealed = "••••••••";
    private static readonly ItemJsonContext Json = ItemsClient.Json;

    public static Command Build() =>
        new("item", "Your items: list, search, get (values, one-time passwords, the clipboard), create, edit, trash, archive, restore, delete, history")
        {
            List(), Search(), Get(), Create(), Edit(), State("trash", "Move an item to the trash (restore brings it back)"),
            State("archive", "Archive an item: kept, out of the way"), State("restore", "Restore an item from the trash or the archive"), Delete(), History(),
        };

    private static Command List()
    {
        Option<string?> search = new("--search") { Description = "Only items whose title, subtitle, URL host, tag or category holds every word" };
        (Command command, Func<CliContext, string?, ItemListCall> call) = ListLike("list", "Your items (active ones unless told otherwise)", search);
        CofferCli.SetAction(command, (c, ct) => PrintListAsync(c, call(c, c.Parse.GetValue(search)), ct));
        return command;
    }

    private static Command Search()
    {
        Argument<string> text = new("text") { Description = "Words to look for (in titles, subtitles, URL hosts, tags and categories)" };
        (Command command, Func<CliContext, string?, ItemListCall> call) = ListLike("search", "Search your items' overviews (never their secrets)", text);
        CofferCli.SetAction(command, (c, ct) => PrintListAsync(c, call(c, c.Parse.GetValue(text)), ct));
        return command;
    }

    private static (Command Command, Func<CliContext, string?, ItemListCall> Call) ListLike(string name, string description, Symbol first)
    {
        Option<string?> vault = VaultOption();
        Option<string?> category = new("--category") { Description = "login, password, secure_note, api_credential, server, database or ssh_key" };
        Option<string?> tag = new("--tag") { Description = "Only items with this tag" };
        Option<bool> archived = new("--archived") { Description = "Archived items instead" };
        Option<bool> trashed = new("--trashed") { Description = "Items in the trash instead" };
        Option<bool> all = new("--all") { Description = "Every item, archived and trashed too" };
        Option<int?> limit = new("--limit") { Description = "At most this many" };
        Command command = new(name, description) { vault, category, tag, archived, trashed, all, limit };
        if (first is Argument argument)
        {
            command.Arguments.Add(argument);
        }
        else
        {
            command.Options.Add((Option)first);
        }
        return (command, (c, text) =>
        {
            string states = (c.Parse.GetValue(archived), c.Parse.GetValue(trashed), c.Parse.GetValue(all)) switch
            {
                (false, false, false) => "active",
                (true, false, false) => "archived",
                (false, true, false) => "trashed",
                (_, _, true) => "all",
                _ => throw new CliException(ExitCodes.Usage, "Choose one of --archived, --trashed and --all."),
            };
            return new ItemListCall(text, c.Parse.GetValue(vault), c.Parse.GetValue(category), c.Parse.GetValue(tag), states, c.Parse.GetValue(limit));
        }
        );
    }

    private static async Task PrintListAsync(CliContext c, ItemListCall call, CancellationToken ct)
    {
        JsonElement value = await ItemsClient.AskAsync(c, call, ct).ConfigureAwait(false);
        IReadOnlyList<ItemView> items = value.Deserialize(Json.IReadOnlyListItemView)!;
        c.Output.Table(value, ["Title", "Subtitle", "Vault", "Category", "Tags", "State", "Id"],
            items.Select(i => new[] { (i.Favourite ? "★ " : "") + i.Title, i.Subtitle, i.Vault, i.Category, string.Join(", ", i.Tags), StateOf(i), i.Id }));
    }

    private static Command Get()
    {
        Argument<string> item = ItemArgument();
        Option<string?> vault = VaultOption();
        Option<bool> reveal = new("--reveal") { Description = "Show concealed values (needs view_and_copy_passwords)" };
        Option<string?> field = new("--field") { Description = "Print only this field's value: password, username, or a field's label or id" };
        Option<bool> otp = new("--otp") { Description = "Print only the current one-time password" };
        Option<bool> copy = new("--copy")
        {
            Description = "Copy the value (--field, --otp, else the password) to the clipboard instead of printing it; cleared after 45 s",
        };
        Command command = new("get", "Show an item; concealed values only with --reveal or --field") { item, vault, reveal, field, otp, copy };
        CofferCli.SetAction(command, async (c, ct) =>
        {
            string selector = c.Parse.GetValue(item)!;
            string? wanted = c.Parse.GetValue(field);
            bool asksOtp = c.Parse.GetValue(otp);
            if (asksOtp && wanted is not null)
            {
                throw new CliException(ExitCodes.Usage, "Ask for --field or --otp, not both.");
            }
            if (c.Parse.GetValue(copy))
            {
                await CopyAsync(c, selector, c.Parse.GetValue(vault), asksOtp ? null : wanted ?? "password", asksOtp, ct).ConfigureAwait(false);
                return;
            }
            JsonElement value = await ItemsClient.AskAsync(c, new ItemGetCall(selector, c.Parse.GetValue(vault), c.Parse.GetValue(reveal), wanted, asksOtp), ct)
                .ConfigureAwait(false);
            if (wanted is not null || asksOtp)
            {
                FieldValueResult one = value.Deserialize(Json.FieldValueResult)!;
                if (c.Output.Json)
                {
                    c.Output.WriteJson(value);
                }
                else
                {
                    c.Output.Out.WriteLine(one.Value);
                }
                return;
            }
            ItemDetailsView details = value.Deserialize(Json.ItemDetailsView)!;
            c.Output.Details(value, DetailLines(details));
        });
        return command;
    }

    private static async Task CopyAsync(CliContext c, string selector, string? vault, string? field, bool otp, CancellationToken ct)
    {
        // Before anything secret comes into this process: is there a clipboard at all?
        Clipboard clipboard = Clipboard.Find() ?? throw new CliException(ExitCodes.Error, Clipboard.NoClipboardMessage);
        JsonElement value = await ItemsClient.AskAsync(c, new ItemGetCall(selector, vault, false, field, otp, Copy: true), ct).ConfigureAwait(false);
        FieldValueResult one = value.Deserialize(Json.FieldValueResult)!;
        TimeSpan after = Clipboard.ClearAfter;
        clipboard.Copy(one.Value);
        Clipboard.StartGuard(one.Value, after);
        CopyResult result = new(one.ItemId, one.Field, clipboard.Name, (long)after.TotalSeconds);
        if (c.Output.Json)
        {
            c.Output.WriteJson(result, ItemCommandJsonContext.Default.CopyResult);
            return;
        }
        c.Output.Line(string.Create(CultureInfo.InvariantCulture,
            $"Copied {(otp ? "the one-time password" : "the " + one.Field)} to the clipboard; it is cleared in {result.ClearsAfterSeconds} s unless something else was copied since."));
    }

    private static IEnumerable<(string Name, string? Value)> DetailLines(ItemDetailsView d)
    {
        ItemView i = d.Item;
        yield return ("Title", i.Title);
        if (i.Subtitle is not null)
        {
            yield return ("Subtitle", i.Subtitle);
        }
        yield return ("Vault", i.Vault);
        yield return ("Category", i.Category);
        foreach (FieldView f in d.Fields)
        {
            yield return (f.Label, f.Value ?? (f.Concealed ? Concealed + " (concealed: --reveal, or --field " + FieldName(f) + ")" : ""));
        }
        if (i.Urls.Count > 0)
        {
            yield return ("URLs", string.Join(" ", i.Urls));
        }
        if (i.Tags.Count > 0)
        {
            yield return ("Tags", string.Join(", ", i.Tags));
        }
        if (d.Notes is not null)
        {
            yield return ("Notes", d.Notes.ReplaceLineEndings(" / "));
        }
        if (d.HasOtp)
        {
            yield return ("One-time password", d.TotpUri ?? "set (--otp prints the current code)");
        }
        if (d.EarlierPasswords > 0)
        {
            yield return ("Earlier passwords", ItemsClient.Number(d.EarlierPasswords) + " (`coffer item history`)");
        }
        yield return ("State", StateOf(i));
        yield return ("Updated", ItemsClient.Time(i.UpdatedAt));
        yield return ("Version", ItemsClient.Number(i.Version));
        yield return ("Id", i.Id);
    }

    private static string FieldName(FieldView f) => f.Purpose is "password" or "username" ? f.Purpose : f.Label.Contains(' ', StringComparison.Ordinal) ? "'" + f.Label + "'" : f.Label;

    private static Command Create()
    {
        Option<string?> vault = VaultOption();
        Option<string> category = new("--category")
        {
            Description = "login (default), password, secure_note, api_credential, server, database or ssh_key",
            DefaultValueFactory = _ => "login",
        };
        Option<string> title = new("--title") { Description = "What the item is called", Required = true };
        WriteOptions write = new(editing: false);
        Command command = new("create", "Create an item (its password from a prompt, stdin or --generate; never from the command line)")
        {
            vault, category, title,
        };
        write.AddTo(command);
        CofferCli.SetAction(command, async (c, ct) =>
        {
            string kind = c.Parse.GetValue(category)!;
            ItemChanges changes = write.Read(c, askForPassword: kind is "login" or "password");
            JsonElement value = await ItemsClient.AskAsync(c, new ItemCreateCall(c.Parse.GetValue(vault), kind, c.Parse.GetValue(title)!, changes), ct)
                .ConfigureAwait(false);
            ItemView created = value.Deserialize(Json.ItemView)!;
            if (c.Output.Json)
            {
                c.Output.WriteJson(value);
                return;
            }
            c.Output.Line($"Created \"{created.Title}\" in {created.Vault} ({created.Id}).");
        });
        return command;
    }

    private static Command Edit()
    {
        Argument<string> item = ItemArgument();
        Option<string?> vault = VaultOption();
        Option<string?> title = new("--title") { Description = "A new title" };
        WriteOptions write = new(editing: true);
        Command command = new("edit", "Change an item, from the version this device holds (changed elsewhere meanwhile: exit 6, nothing saved)")
        {
            item, vault, title,
        };
        write.AddTo(command);
        CofferCli.SetAction(command, async (c, ct) =>
        {
            ItemChanges changes = write.Read(c, askForPassword: false) with { Title = c.Parse.GetValue(title) };
            if (changes == new ItemChanges())
            {
                throw new CliException(ExitCodes.Usage, "Nothing to change: say what (see `coffer item edit --help`).");
            }
            JsonElement value = await ItemsClient.AskAsync(c, new ItemEditCall(c.Parse.GetValue(item)!, c.Parse.GetValue(vault), changes), ct).ConfigureAwait(false);
            ItemView edited = value.Deserialize(Json.ItemView)!;
            if (c.Output.Json)
            {
                c.Output.WriteJson(value);
                return;
            }
            c.Output.Line($"Saved \"{edited.Title}\" (version {ItemsClient.Number(edited.Version)}).");
        });
        return command;
    }

    private static Command State(string action, string description)
    {
        Argument<string> item = ItemArgument();
        Option<string?> vault = VaultOption();
        Command command = new(action, description) { item, vault };
        CofferCli.SetAction(command, async (c, ct) =>
        {
            JsonElement value = await ItemsClient.AskAsync(c, new ItemStateCall(c.Parse.GetValue(item)!, c.Parse.GetValue(vault), action), ct).ConfigureAwait(false);
            ItemView changed = value.Deserialize(Json.ItemView)!;
            if (c.Output.Json)
            {
                c.Output.WriteJson(value);
                return;
            }
            c.Output.Line(action switch
            {
                "trash" => $"Moved \"{changed.Title}\" to the trash.",
                "archive" => $"Archived \"{changed.Title}\".",
                _ => $"Restored \"{changed.Title}\".",
            });
        });
        return command;
    }

    private static Command Delete()
    {
        Argument<string> item = ItemArgument();
        Option<string?> vault = VaultOption();
        Option<bool> yes = new("--yes") { Description = "Do not ask (needed without a terminal)" };
        Command command = new("delete", "Delete an item for good (`item trash` keeps it restorable)") { item, vault, yes, GlobalOptions.OtpStdin };
        CofferCli.SetAction(command, async (c, ct) =>
        {
            string selector = c.Parse.GetValue(item)!;
            if (!c.Parse.GetValue(yes))
            {
                if (!Input.Interactive)
                {
                    throw new CliException(ExitCodes.Usage, "Deleting for good cannot be undone: pass --yes (or use `coffer item trash`).");
                }
                if (!c.Input.Confirm($"Delete \"{selector}\" for good? It cannot be restored."))
                {
                    throw new CliException(ExitCodes.Usage, "Not deleted.");
                }
            }
            JsonElement value = await ItemsClient.AskAsync(c, new ItemStateCall(selector, c.Parse.GetValue(vault), "delete"), ct).ConfigureAwait(false);
            ItemView deleted = value.Deserialize(Json.ItemView)!;
            if (c.Output.Json)
            {
                c.Output.WriteJson(value);
                return;
            }
            c.Output.Line($"Deleted \"{deleted.Title}\" for good.");
        });
        return command;
    }

    private static Command History()
    {
        Argument<string> item = ItemArgument();
        Option<string?> vault = VaultOption();
        Option<bool> reveal = new("--reveal") { Description = "Show earlier passwords (needs view_and_copy_passwords)" };
        Command command = new("history", "An item's earlier versions and passwords (needs view_item_history)") { item, vault, reveal };
        CofferCli.SetAction(command, async (c, ct) =>
        {
            JsonElement value = await ItemsClient.AskAsync(c, new ItemHistoryCall(c.Parse.GetValue(item)!, c.Parse.GetValue(vault), c.Parse.GetValue(reveal)), ct)
                .ConfigureAwait(false);
            ItemHistoryView history = value.Deserialize(Json.ItemHistoryView)!;
            if (c.Output.Json)
            {
                c.Output.WriteJson(value);
                return;
            }
            c.Output.Line($"\"{history.Item.Title}\" ({history.Item.Id}), now version {ItemsClient.Number(history.Item.Version)}:");
            c.Output.Table(value, ["Version", "Stored", "Title", "State", "Key"], history.Versions.Select(v => new[]
            {
                ItemsClient.Number(v.Version), ItemsClient.Time(v.StoredAt), v.Title ?? "(under an earlier vault key)",
                v.Archived is null ? "" : v.Trashed == true ? "trashed" : v.Archived == true ? "archived" : "active", ItemsClient.Number(v.VaultKeySerial),
            }));
            if (history.EarlierPasswords.Count > 0)
            {
                c.Output.Line("");
                c.Output.Line("Earlier passwords, newest first:");
                c.Output.Table(value, ["Replaced", "Password"],
                    history.EarlierPasswords.Select(p => new[] { ItemsClient.Time(p.ChangedAt), p.Value ?? Concealed + " (--reveal)" }));
            }
        });
        return command;
    }

    private static string StateOf(ItemView i) => i.Trashed ? "trashed" : i.Archived ? "archived" : "active";

    private static Argument<string> ItemArgument() => new("item") { Description = "The item, by id or title (or words only it matches)" };

    private static Option<string?> VaultOption() => new("--vault") { Description = "The vault, by name or id" };

    /// <summary>The options <c>item create</c> and <c>item edit</c> share, and how secrets are read for them.</summary>
    private sealed class WriteOptions(bool editing)
    {
        private readonly Option<string?> _subtitle = new("--subtitle") { Description = "The second line in lists (default: the username)" };
        private readonly Option<string?> _username = new("--username") { Description = "The username" };
        private readonly Option<string[]> _url = new("--url") { Description = editing ? "The URLs (repeat; replaces them all)" : "A URL (repeat for more)" };
        private readonly Option<string[]> _tag = new("--tag") { Description = editing ? "The tags (repeat; replaces them all)" : "A tag (repeat for more)" };
        private readonly Option<string[]> _addTag = new("--add-tag") { Description = "Add a tag (repeat for more)" };
        private readonly Option<string[]> _removeTag = new("--remove-tag") { Description = "Remove a tag (repeat for more)" };
        private readonly Option<string?> _notes = new("--notes") { Description = "Notes (not for secrets: the command line is visible to your other processes)" };
        private readonly Option<string[]> _field = new("--field") { Description = "A text field, label=value (repeat for more; not for secrets)" };
        private readonly Option<bool> _passwordStdin = new("--password-stdin-field") { Description = "Read the item's password from standard input (one line)" };
        private readonly Option<bool> _askPassword = new("--ask-password") { Description = "Ask for the item's password without echo" };
        private readonly Option<bool> _generate = new("--generate") { Description = "Generate the password (20 random characters unless --length or --words)" };
        private readonly Option<int?> _length = new("--length") { Description = "With --generate: this many characters" };
        private readonly Option<int?> _words = new("--words") { Description = "With --generate: a passphrase of this many words" };
        private readonly Option<bool> _otpStdin = new("--otp-stdin")
        {
            Description = "Read a one-time password URI (otpauth://totp/…) from standard input (after the password, if both)",
        };
        private readonly Option<bool> _favourite = new("--favourite") { Description = "Mark as a favourite" };
        private readonly Option<bool> _notFavourite = new("--not-favourite") { Description = "Unmark as a favourite" };

        public void AddTo(Command command)
        {
            foreach (Option option in (Option[])[_subtitle, _username, _url, _tag, _notes, _field, _passwordStdin, _askPassword, _generate, _length, _words,
                _otpStdin, _favourite])
            {
                command.Options.Add(option);
            }
            if (editing)
            {
                command.Options.Add(_addTag);
                command.Options.Add(_removeTag);
                command.Options.Add(_notFavourite);
            }
        }

        public ItemChanges Read(CliContext c, bool askForPassword)
        {
            ParseResult p = c.Parse;
            bool fromStdin = p.GetValue(_passwordStdin);
            bool asked = p.GetValue(_askPassword);
            bool generate = p.GetValue(_generate);
            if ((fromStdin ? 1 : 0) + (asked ? 1 : 0) + (generate ? 1 : 0) > 1)
            {
                throw new CliException(ExitCodes.Usage, "The password comes from one of --password-stdin-field, --ask-password and --generate.");
            }
            if (!generate && (p.GetValue(_length) is not null || p.GetValue(_words) is not null))
            {
                throw new CliException(ExitCodes.Usage, "--length and --words go with --generate.");
            }
            string? password = fromStdin ? c.Input.ReadStdinLine("the item's password")
                : asked || (askForPassword && !generate && Input.Interactive) ? c.Input.AskHidden("Password for the item (Enter for none): ", "--password-stdin-field")
                : null;
            string? otp = p.GetValue(_otpStdin) ? c.Input.ReadStdinLine("the one-time password URI") : null;
            List<FieldValue> fields = [];
            foreach (string assignment in p.GetValue(_field) ?? [])
            {
                int eq = assignment.IndexOf('=', StringComparison.Ordinal);
                if (eq <= 0)
                {
                    throw new CliException(ExitCodes.Usage, "A field is given as label=value.");
                }
                fields.Add(new FieldValue(assignment[..eq].Trim(), assignment[(eq + 1)..]));
            }
            string[] urls = p.GetValue(_url) ?? [];
            string[] tags = p.GetValue(_tag) ?? [];
            string[] addTags = editing ? p.GetValue(_addTag) ?? [] : [];
            string[] removeTags = editing ? p.GetValue(_removeTag) ?? [] : [];
            bool favourite = p.GetValue(_favourite);
            bool notFavourite = editing && p.GetValue(_notFavourite);
            return new ItemChanges
            {
                Subtitle = p.GetValue(_subtitle),
                Username = p.GetValue(_username),
                Urls = urls.Length > 0 ? urls : null,
                Tags = tags.Length > 0 ? tags : null,
                AddTags = addTags.Length > 0 ? addTags : null,
                RemoveTags = removeTags.Length > 0 ? removeTags : null,
                Notes = p.GetValue(_notes),
                Fields = fields.Count > 0 ? fields : null,
                Password = string.IsNullOrEmpty(password) ? null : password,
                Generate = generate ? new GenerateSpec(p.GetValue(_length), p.GetValue(_words)) : null,
                TotpUri = otp,
                Favourite = favourite ? true : notFavourite ? false : null,
            };
        }
    }
}

/// <summary>What <c>item get --copy</c> reports (never the value).</summary>
internal sealed record CopyResult(string ItemId, string Field, string Clipboard, long ClearsAfterSeconds);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(CopyResult))]
internal sealed partial class ItemCommandJsonContext : JsonSerializerContext;
