/*
 * periodic.c - jobs that run at start, then every so often; see periodic.h.
 */

#include "periodic.h"

int periodic_due(const PERIODIC *job, long long now_ms, long long every_ms)
{
    return !job->ran || now_ms - job->at_ms >= every_ms;
}

void periodic_done(PERIODIC *job, long long now_ms)
{
    job->ran = 1;
    job->at_ms = now_ms;
}

void periodic_forget(PERIODIC *job)
{
    job->ran = 0;
}
