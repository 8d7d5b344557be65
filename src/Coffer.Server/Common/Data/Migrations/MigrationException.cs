namespace Coffer.Server.Common.Data.Migrations;

/// <summary>The database's schema cannot be brought to what this server expects; the message says why and what to do.</summary>
internal sealed class MigrationException(string message, Exception? innerException = null) : Exception(message, innerException);
