from vmx.main import main

main()
