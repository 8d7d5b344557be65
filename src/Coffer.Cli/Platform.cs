// The agent's peer check (SO_PEERCRED), setsid(2) and 0600 files are Linux's; other systems come with their own checks.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
