using System.CommandLine;
using System.Runtime.InteropServices;
using Coffer.Cli.Agent;
using Coffer.Cli.Terminal;

namespace Coffer.Cli.Commands;

/// <summary>
/// The hidden <c>coffer clipboard-guard &lt;seconds&gt;</c>, started detached by <c>item get --copy</c>: reads the SHA-256 of
/// the copied value from stdin, waits, and clears the clipboard only if it still holds that value.
/// </summary>
internal static class ClipboardGuardCommand
{
    public static Command Build()
    {
        Argument<int> seconds = new("seconds") { Description = "How long to wait" };
        Command command = new("clipboard-guard", "Clear the clipboard later if it still holds a copied secret (coffer starts it)") { seconds };
        command.Hidden = true;
        command.SetAction(async (parse, cancellationToken) =>
        {
            // Out of the terminal's session: closing the terminal must not leave the secret on the clipboard.
            _ = Native.SetSid();
            using PosixSignalRegistration hangUp = PosixSignalRegistration.Create(PosixSignal.SIGHUP, c => c.Cancel = true);
            using PosixSignalRegistration interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => c.Cancel = true);
            string? fingerprint = await Console.In.ReadLineAsync(cancellationToken).ConfigureAwait(false);
            Console.SetOut(TextWriter.Null);
            Console.SetError(TextWriter.Null);
            if (fingerprint is null || fingerprint.Trim().Length != 64)
            {
                return ExitCodes.Usage;
            }
            await Task.Delay(TimeSpan.FromSeconds(Math.Clamp(parse.GetValue(seconds), 1, 600)), CancellationToken.None).ConfigureAwait(false);
            try
            {
                if (Clipboard.Find() is Clipboard clipboard && Clipboard.Holds(clipboard.Paste(), fingerprint.Trim()))
                {
                    clipboard.Clear();
                }
            }
            catch (Exception e) when (e is CliException or System.ComponentModel.Win32Exception or InvalidOperationException or IOException)
            {
                return ExitCodes.Error;
            }
            return ExitCodes.Ok;
        });
        return command;
    }
}
