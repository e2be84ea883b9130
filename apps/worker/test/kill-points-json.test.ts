import { describeKillPoints } from "./kill-points";

describeKillPoints("json");
