# A PowerCLI-style deployment: splatting, reports, filtering with operators
param([int]$Count = 3, [string]$Prefix = 'web')
$spec = @{ NumCpu = 1; MemoryMB = 256 }
foreach ($n in 1..$Count) {
    $vmName = '{0}{1:D2}' -f $Prefix, $n
    if ($n -eq $Count) { $spec.NumCpu = 4 }
    New-VM -Name $vmName @spec | Out-Null
}
Start-VM ('{0}{1:D2}' -f $Prefix, 1) | Out-Null
$report = foreach ($vm in Get-VM) {
    [pscustomobject]@{
        Name  = $vm.Name
        State = $vm.PowerState
        Cpus  = $vm.NumCpu
    }
}
$report
$running = @($report.State -eq 'PoweredOn').Count
"running: $running of $($report.Count)"
"big: $(($report | & { process { if ($_.Cpus -gt 1) { $_.Name } } }) -join ', ')"
