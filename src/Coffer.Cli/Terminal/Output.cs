using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Coffer.Cli.Agent;
using Coffer.Contracts.Errors;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Coffer.Cli.Terminal;

/// <summary>
/// What a command prints: results to stdout — readable tables by default, JSON with <c>--format json</c> — and
/// failures to stderr as one line (or, with <c>--format json</c>, the server's problem as received).
/// </summary>
internal sealed class Output
{
    // Made on the first table: detecting the terminal's abilities costs more than printing a value, which is all most
    // commands (and every lookup in `coffer shell`) do.
    private IAnsiConsole? _console;

    public Output(bool json, TextWriter? stdout = null, TextWriter? stderr = null)
    {
        Json = json;
        Out = stdout ?? Console.Out;
        Error = stderr ?? Console.Error;
    }

    public bool Json { get; }

    public TextWriter Out { get; }

    public TextWriter Error { get; }

    /// <summary>A line for the person (table mode only; JSON output stays one document).</summary>
    public void Line(string text)
    {
        if (!Json)
        {
            Out.WriteLine(text);
        }
    }

    /// <summary>A note beside the result, on stderr (so stdout can be piped).</summary>
    public void Note(string text) => Error.WriteLine(text);

    /// <summary>Warnings beside a result that succeeded (an administrator's upkeep that could not be done), on stderr in every mode.</summary>
    public void Warn(IReadOnlyList<string>? warnings)
    {
        foreach (string warning in warnings ?? [])
        {
            Error.WriteLine("coffer: warning: " + warning);
        }
    }

    public void WriteJson(JsonElement element)
    {
        using MemoryStream buffer = new();
        using (Utf8JsonWriter writer = new(buffer, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            element.WriteTo(writer);
        }
        Out.WriteLine(Encoding.UTF8.GetString(buffer.ToArray()));
    }

    public void WriteJson<T>(T value, JsonTypeInfo<T> type) => WriteJson(JsonSerializer.SerializeToElement(value, type));

    /// <summary>A table, or in JSON mode the element the rows came from.</summary>
    public void Table(JsonElement source, string[] columns, IEnumerable<string?[]> rows)
    {
        if (Json)
        {
            WriteJson(source);
            return;
        }
        Table table = new() { Border = TableBorder.Rounded };
        foreach (string column in columns)
        {
            table.AddColumn(new TableColumn(new Text(column, new Style(decoration: Decoration.Bold))));
        }
        foreach (string?[] row in rows)
        {
            table.AddRow([.. row.Select(cell => (IRenderable)new Text(cell ?? ""))]);
        }
        Ansi().Write(table);
    }

    private IAnsiConsole Ansi()
    {
        if (_console is not null)
        {
            return _console;
        }
        bool redirected = Console.IsOutputRedirected;
        _console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(Out),
            Ansi = redirected ? AnsiSupport.No : AnsiSupport.Detect,
            ColorSystem = redirected ? ColorSystemSupport.NoColors : ColorSystemSupport.Detect,
        });
        if (redirected)
        {
            // A pipe has no width; keep rows whole rather than wrapped at 80 columns.
            _console.Profile.Width = 400;
        }
        return _console;
    }

    /// <summary>Name/value pairs for one object, or the object itself in JSON mode.</summary>
    public void Details(JsonElement source, IEnumerable<(string Name, string? Value)> pairs)
    {
        if (Json)
        {
            WriteJson(source);
            return;
        }
        List<(string Name, string? Value)> rows = [.. pairs];
        int width = rows.Max(r => r.Name.Length) + 2;
        foreach ((string name, string? value) in rows)
        {
            Out.WriteLine((name + ":").PadRight(width) + value);
        }
    }

    /// <summary>Reports a failure; returns its exit code.</summary>
    public int Fail(CliException failure)
    {
        // What the command printed before it failed comes first (stdout is buffered in `coffer shell` into a pipe).
        Out.Flush();
        if (Json)
        {
            JsonElement problem = failure.Problem is ProblemDto received
                ? JsonSerializer.SerializeToElement(received, AgentJsonContext.Default.ProblemDto)
                : JsonSerializer.SerializeToElement(new AgentFailure(failure.ExitCode, failure.Message), AgentJsonContext.Default.AgentFailure);
            using MemoryStream buffer = new();
            using (Utf8JsonWriter writer = new(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            {
                problem.WriteTo(writer);
            }
            Error.WriteLine(Encoding.UTF8.GetString(buffer.ToArray()));
        }
        Error.WriteLine("coffer: " + failure.Message);
        return failure.ExitCode;
    }
}
