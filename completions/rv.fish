complete --keep-order --exclusive --command rv --arguments "(COMPLETE=fish rv -- (commandline --current-process --tokenize --cut-at-cursor) (commandline --current-token))"
