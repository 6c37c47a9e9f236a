# Installs the StreamLstm worker as a Windows service (run as Administrator).
#   dotnet publish src/StreamLstm.Worker -c Release -r win-x64 --self-contained false -o C:\StreamLstm
#   .\deploy\windows\install-service.ps1 -InstallDir C:\StreamLstm
# Settings: C:\StreamLstm\appsettings.json or machine environment variables (Kafka__BootstrapServers, Influx__Token, ...).
param(
    [string]$InstallDir = "C:\StreamLstm",
    [string]$ServiceName = "StreamLstm",
    [string]$DataDir = "C:\ProgramData\StreamLstm"
)
$ErrorActionPreference = "Stop"
$exe = Join-Path $InstallDir "streamlstm.exe"
if (-not (Test-Path $exe)) { throw "streamlstm.exe not found in $InstallDir (publish with -r win-x64 first)" }
New-Item -ItemType Directory -Force -Path $DataDir | Out-Null
if (Get-Service -Name $ServiceName -ErrorAction SilentlyContinue) { throw "service $ServiceName already exists (run uninstall-service.ps1 first)" }
# A service starts in System32: the model store, tick history and rejected points go under $DataDir instead.
# (appsettings.json is read from the install folder whatever the working directory.)
$settings = "--Model:Directory=`"$DataDir\models`" --History:Directory=`"$DataDir\history`" --Influx:RejectedPointsFile=`"$DataDir\rejected-points.lp`""
New-Service -Name $ServiceName -BinaryPathName "`"$exe`" run $settings" `
    -DisplayName "StreamLstm forecasting worker" -StartupType Automatic `
    -Description "Kafka ticks in, stateful LSTM forecasts per symbol, InfluxDB out."
# Restart after failures: 5 s, 5 s, then 60 s.
sc.exe failure $ServiceName reset= 86400 actions= restart/5000/restart/5000/restart/60000 | Out-Null
Start-Service -Name $ServiceName
Get-Service -Name $ServiceName
