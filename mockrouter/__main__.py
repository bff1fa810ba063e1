from mockrouter.cli import main

main()
