import type { Metadata } from "next";
import { Suspense } from "react";
import { Loading } from "~/components/messages";
import { SetPasswordForm } from "~/components/users/set-password-form";

export const metadata: Metadata = { title: "Set your password" };

/** A one-time link from a superuser (issue 18): no session needed, the link is the credential. */
export default function SetPasswordPage() {
  return (
    <Suspense fallback={<Loading />}>
      <SetPasswordForm />
    </Suspense>
  );
}
