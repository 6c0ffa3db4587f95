// The one module the CLI imports lazily for `report` and `dashboard` (see src/lab/subcommands.ts): one entry keeps
// the bundle's start-up chunks as they are. It lives here because the dashboard builds on the report, not the reverse.
export { reportCommandHelp, runReportCommand } from '../report/command.js';
export { dashboardCommandHelp, runDashboardCommand } from './command.js';
