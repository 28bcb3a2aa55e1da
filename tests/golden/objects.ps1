# Object cmdlets: Select-Object, Sort-Object, Group-Object, Where-Object (simplified), ForEach-Object, CSV.
New-VM obj-c -NumCpu 2 -MemoryMB 256 | Out-Null
New-VM obj-a -NumCpu 1 -MemoryMB 128 | Out-Null
New-VM obj-b -NumCpu 2 -MemoryMB 512 | Out-Null
Get-VM obj-* | Sort-Object Name | Select-Object Name, NumCpu, MemoryMB
Get-VM obj-* | Sort-Object -Property MemoryMB -Descending | Select-Object -First 1 -ExpandProperty Name
Get-VM obj-* | Where-Object NumCpu -eq 2 | Sort-Object Name | ForEach-Object Name
Get-VM obj-* | Group-Object NumCpu | Sort-Object Name | Select-Object Name, Count
Get-VM obj-* | Sort-Object Name | Select-Object Name, NumCpu | ConvertTo-Csv -NoTypeInformation
Get-VM obj-* | Sort-Object Name | Select-Object Name, PowerState | Export-Csv vms.csv -NoTypeInformation
Import-Csv vms.csv | Where-Object Name -like 'obj-[ab]' | ForEach-Object Name
