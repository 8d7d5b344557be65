namespace Coffer.Sdk.Items;

/// <summary>One stored version of an item (<see cref="ItemLibrary.HistoryAsync"/>).</summary>
/// <param name="Version">The item version.</param>
/// <param name="StoredAt">When the server stored it.</param>
/// <param name="VaultKeySerial">The vault key it is sealed under.</param>
/// <param name="Overview">Its overview, opened; null when it is under an earlier vault key than the one held.</param>
public sealed record ItemVersion(long Version, DateTimeOffset StoredAt, long VaultKeySerial, ItemSummary? Overview);
