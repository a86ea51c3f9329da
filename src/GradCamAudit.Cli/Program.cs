using GradCamAudit.Cli;

int code = await Commands.Build().ParseAndRunAsync(args).ConfigureAwait(false);
return GradCamAudit.Pipeline.Torch.ExitProcess(code);
