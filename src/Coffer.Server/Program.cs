using Coffer.Server;

return await CofferServer.RunAsync(args).ConfigureAwait(false);
