'use strict';
// Gives up while it is loaded, with a message of its own and an exit code.
process.stderr.write('exitsOnLoad: no licence file, giving up\n');
process.exit(9);
