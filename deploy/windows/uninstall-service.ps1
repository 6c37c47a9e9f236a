# Stops and removes the StreamLstm Windows service (run as Administrator). Data and settings are left in place.
param([string]$ServiceName = "StreamLstm")
$ErrorActionPreference = "Stop"
$service = Get-Service -Name $ServiceName -ErrorAction SilentlyContinue
if (-not $service) { Write-Output "service $ServiceName is not installed"; exit 0 }
if ($service.Status -ne "Stopped") { Stop-Service -Name $ServiceName; $service.WaitForStatus("Stopped", "00:01:00") }
sc.exe delete $ServiceName | Out-Null
Write-Output "service $ServiceName removed"
