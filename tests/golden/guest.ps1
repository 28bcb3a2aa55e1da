# The guest OS through its tools: Get-VMGuest, Invoke-VMScript, Copy-VMGuestFile, Get-VMGuestProcess,
# Restart-VMGuest, Suspend-VMGuest, Stop-VMGuest.
New-VM gu-app01 -MemoryMB 128 | Out-Null
New-AdvancedSetting -Entity (Get-VM gu-app01) -Name guestinfo.hostname -Value gu-app01.lab -Confirm:$false | Out-Null
New-AdvancedSetting -Entity (Get-VM gu-app01) -Name guestinfo.password -Value 'Gu3st!pw' -Confirm:$false | Out-Null
Start-VM gu-app01 | Out-Null
$cred = @{ GuestUser = 'root'; GuestPassword = 'Gu3st!pw' }
(Invoke-VMScript -VM gu-app01 -ScriptText 'hostname; echo hello > /root/greeting' @cred).ScriptOutput
$result = Invoke-VMScript -VM gu-app01 -ScriptText 'cat /nonexistent' @cred
$result.ExitCode
$result.ScriptOutput
Get-VMGuest gu-app01 | Format-List VmName, HostName, State, OSFullName, ToolsStatus
'from the host' | Out-File host-note.txt
Copy-VMGuestFile -Source host-note.txt -Destination /root/host-note.txt -VM gu-app01 -LocalToGuest @cred
(Invoke-VMScript -VM gu-app01 -ScriptText 'cat /root/host-note.txt' @cred).ScriptOutput
Copy-VMGuestFile -Source /root/greeting -Destination ./ -VM gu-app01 -GuestToLocal @cred
Get-Content ./greeting
(Get-VMGuestProcess -VM gu-app01 @cred | Where-Object Name -eq 'init').Name
try { Invoke-VMScript -VM gu-app01 -ScriptText 'id' -GuestUser root -GuestPassword wrong } catch { "caught: $_" }
$boots = (Get-VMGuest gu-app01).BootCount
Restart-VMGuest gu-app01 -Confirm:$false | Out-Null
while ((Get-VMGuest gu-app01).BootCount -le $boots -or (Get-VMGuest gu-app01).ToolsStatus -ne 'toolsOk') {
    Start-Sleep -Milliseconds 50
}
'rebooted'
Suspend-VMGuest gu-app01 -Confirm:$false | Out-Null
while ((Get-VM gu-app01).PowerState -ne 'Suspended') { Start-Sleep -Milliseconds 50 }
(Get-VM gu-app01).PowerState
Stop-VMGuest gu-app01 -WhatIf
Stop-VMGuest gu-app01 -Confirm:$false
