// Scenario 7's floor: a file module that only imports node:http. Importing any file module costs
// the ES module loader's own work (resolving, reading, compiling) on top of the built-ins it needs.
import 'node:http';
