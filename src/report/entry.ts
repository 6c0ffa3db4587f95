// The one module the CLI imports lazily for `report` and `dashboard` (see src/lab/subcommands.ts).
export { reportCommandHelp, runReportCommand } from './command.js';
export { dashboardCommandHelp, runDashboardCommand } from '../dashboard/command.js';
