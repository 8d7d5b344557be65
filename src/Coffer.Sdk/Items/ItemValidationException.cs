namespace Coffer.Sdk.Items;

/// <summary>One thing wrong with an item, said for a person: where (<c>overview.urls[1].href</c>) and what.</summary>
/// <param name="Path">Where in the item: <c>overview…</c>, <c>details…</c> or <c>item</c> (the whole).</param>
/// <param name="Message">What is wrong; never the value itself.</param>
public sealed record ItemProblem(string Path, string Message)
{
    /// <summary><c>path: message</c>.</summary>
    public override string ToString() => Path + ": " + Message;
}

/// <summary>
/// An item that may not be written as it is (PROTOCOL.md §4.1, POLICY.md's size cap): every problem found, each with its
/// place. Nothing was sent. Messages never contain a field's value.
/// </summary>
public sealed class ItemValidationException : ArgumentException
{
    /// <summary>Creates the exception with a default message.</summary>
    public ItemValidationException()
        : this([])
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public ItemValidationException(string message)
        : base(message)
    {
        Problems = [];
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public ItemValidationException(string message, Exception? innerException)
        : base(message, innerException)
    {
        Problems = [];
    }

    /// <summary>Creates the exception for <paramref name="problems"/>.</summary>
    public ItemValidationException(IReadOnlyList<ItemProblem> problems)
        : base(Compose(problems))
    {
        Problems = problems;
    }

    /// <summary>Every problem found.</summary>
    public IReadOnlyList<ItemProblem> Problems { get; }

    private static string Compose(IReadOnlyList<ItemProblem> problems) =>
        problems is null || problems.Count == 0
            ? "The item is not valid."
            : "The item is not valid: " + string.Join("; ", problems.Select(p => p.ToString())) + ".";
}
