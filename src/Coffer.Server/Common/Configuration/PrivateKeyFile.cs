namespace Coffer.Server.Common.Configuration;

/// <summary>
/// A server key kept in a file of the data directory (the audit signing key, the MFA sealing key): created once, 0600 in a
/// 0700 directory, written under a temporary name and moved into place, so another node or process sharing the directory
/// never reads half a key, and whoever made it first wins.
/// </summary>
internal static class PrivateKeyFile
{
    /// <summary>Writes <paramref name="content"/> to <paramref name="path"/> unless a file is there already (then that one stands).</summary>
    public static void CreateOnce(string path, ReadOnlySpan<byte> content)
    {
        string directory = Path.GetDirectoryName(path)!;
        if (!Directory.Exists(directory))
        {
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(directory);
            }
            else
            {
                Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }
        string temporary = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        try
        {
            FileStreamOptions create = new() { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                create.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }
            using (FileStream file = new(temporary, create))
            {
                file.Write(content);
                file.Flush(flushToDisk: true);
            }
            try
            {
                File.Move(temporary, path, overwrite: false);
            }
            catch (IOException) when (File.Exists(path))
            {
                // Another node or process made it first; theirs stands.
            }
        }
        finally
        {
            File.Delete(temporary);
        }
    }
}
