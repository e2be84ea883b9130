import { describeKillPoints } from "./kill-points";

describeKillPoints("csv");
