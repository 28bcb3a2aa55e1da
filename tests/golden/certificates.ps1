# The host's certificate and how the shell trusts it (this script's first connection pinned it).
$cert = Get-VIMachineCertificate
$cert.Thumbprint -match '^([0-9A-F]{2}:){31}[0-9A-F]{2}$'
$cert.Issuer -like 'CN=pyesx host CA*'
$cert.NotValidAfter.Year -gt 2025
New-VIMachineCertificate -WhatIf
Get-PowerCLIConfiguration | Format-Table Scope, InvalidCertificateAction
Set-PowerCLIConfiguration -InvalidCertificateAction Warn -Confirm:$false | Format-List
Set-PowerCLIConfiguration -InvalidCertificateAction Sometimes -Confirm:$false -ErrorAction Continue
Set-PowerCLIConfiguration -InvalidCertificateAction Fail -WhatIf
(Get-PowerCLIConfiguration -Scope Session).InvalidCertificateAction
