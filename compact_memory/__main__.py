from compact_memory.cli import main

raise SystemExit(main())
