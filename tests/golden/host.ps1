# The host as Get-VMHost shows it (properties that do not depend on the machine).
$h = Get-VMHost
$h.ConnectionState
$h.PowerState
$h.Name -eq $h.Name
(Get-VMHostNetworkAdapter -VMKernel).Name
