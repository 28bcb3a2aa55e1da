# Host operations: the host's advanced settings, start policies, logs (each put back at the end).
$s = Get-AdvancedSetting -Entity (Get-VMHost) -Name Security.AccountLock*
$s | Format-Table Name, Value, Type, Range
$s | Set-AdvancedSetting -Value 10 -Confirm:$false | Format-Table Name, Value
try { $s | Set-AdvancedSetting -Value 1000 -Confirm:$false } catch { "$_" }
$s | Set-AdvancedSetting -Value 5 -Confirm:$false | Out-Null
New-VM hostops-vm01 -MemoryMB 64 | Out-Null
Get-VMStartPolicy hostops-vm01 | Set-VMStartPolicy -StartAction PowerOn -StartOrder 1 -StartDelay 5 | Format-List StartAction, StartOrder, StartDelay, StopAction, InheritStopActionFromHost
Get-VMHostStartPolicy | Format-List Enabled, StartDelay, StopAction, StopDelay
Get-LogType | Format-Table Key, FileName
try { Get-Log -Key nope } catch { "$_" }
Remove-VM hostops-vm01 -DeletePermanently -Confirm:$false
Get-VMHostStartPolicy | Set-VMHostStartPolicy -Enabled $true -StartDelay 10 | Format-List Enabled, StartDelay
Get-VMHostStartPolicy | Set-VMHostStartPolicy -Enabled $false -StartDelay 120 | Out-Null
Set-VMHost -State Maintenance -Confirm:$false | Format-List ConnectionState
New-VM hostops-vm02 -MemoryMB 64 | Out-Null
try { Start-VM hostops-vm02 } catch { "$_" }
Remove-VM hostops-vm02 -DeletePermanently -Confirm:$false
Set-VMHost -State Connected -Confirm:$false | Format-List ConnectionState
try { Restart-VMHost -Confirm:$false } catch { "$_" }
try { Stop-VMHost -Confirm:$false } catch { "$_" }
