import { describeKillPoints } from "./kill-points";

describeKillPoints("xls");
