# The credential store: an item for the host, listed, used by Connect-VIServer, removed.
New-VICredentialStoreItem -Host $env:PYESX_SERVER -User root -Password $env:PYESX_PASSWORD | Format-List Host, User
(Get-VICredentialStoreItem).User
$server = Connect-VIServer -Server $env:PYESX_SERVER
$server.User
$global:DefaultVIServer.IsConnected
Disconnect-VIServer -Confirm:$false
$DefaultVIServer
Remove-VICredentialStoreItem -Host $env:PYESX_SERVER -User root -Confirm:$false
Get-VICredentialStoreItem
