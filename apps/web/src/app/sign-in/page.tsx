import type { Metadata } from "next";
import { Suspense } from "react";
import { Loading } from "~/components/messages";
import { SignInForm } from "~/components/sign-in-form";

export const metadata: Metadata = { title: "Sign in" };

export default function SignInPage() {
  return (
    <Suspense fallback={<Loading />}>
      <SignInForm />
    </Suspense>
  );
}
