#!/usr/bin/env pwsh
<#
.SYNOPSIS
  gradcam-audit for Windows / PowerShell 7: the same verbs and options as the CLI, built and run with dotnet.

.EXAMPLE
  ./run.ps1
  Audits the embedded demo into reports/demo (replacing an earlier demo run), like the README's main command.

.EXAMPLE
  ./run.ps1 -Config configs/my.json -Output D:/audits/2026-11-25 -Limit 1000 -Overwrite -Backend cuda

.EXAMPLE
  ./run.ps1 -Report -Run reports/demo
  Re-renders report.html of a finished run without the model.
#>
[CmdletBinding()]
param(
  [string]$Config = (Join-Path $PSScriptRoot 'configs/demo.json'),
  [string]$Output,
  [long]$Limit = 0,
  [switch]$Overwrite,
  [switch]$Report,
  [string]$Run,
  [ValidateSet('cpu', 'cuda')][string]$Backend = 'cpu'
)
$ErrorActionPreference = 'Stop'

# The demo is meant to be re-run: without -Config, replace the previous demo output.
if (-not $PSBoundParameters.ContainsKey('Config')) { $Overwrite = $true }

$cliArgs = @()
if ($Report) {
  if (-not $Run) { Write-Error '-Report needs -Run <run folder>'; exit 2 }
  $cliArgs += @('report', '--run', $Run)
}
else {
  $cliArgs += @('audit', '--config', $Config)
  if ($Output) { $cliArgs += @('--output', $Output) }
  if ($Limit -gt 0) { $cliArgs += @('--limit', "$Limit") }
  if ($Overwrite) { $cliArgs += '--overwrite' }
}

$project = Join-Path $PSScriptRoot 'src/GradCamAudit.Cli'
& dotnet run --project $project -c Release "-p:TorchBackend=$Backend" -- @cliArgs
exit $LASTEXITCODE
