// psa-check evaluates every pod spec in Kubernetes manifests against a Pod Security Standards level with the
// upstream evaluator (k8s.io/pod-security-admission/policy), the same code the PodSecurity admission plugin
// runs in the kube-apiserver. Built by scripts/install-tools; used by the deployment-bundle tests.
//
//	psa-check [-level restricted] [-version latest] < manifests.yaml
//
// Prints one JSON line per pod spec ({"object", "allowed", "violations"}) and exits 1 if any is refused.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
)

type result struct {
	Object     string   `json:"object"`
	Allowed    bool     `json:"allowed"`
	Violations []string `json:"violations"`
}

func podSpecOf(obj runtime.Object) (string, *metav1.ObjectMeta, *corev1.PodSpec) {
	switch o := obj.(type) {
	case *corev1.Pod:
		return "Pod/" + o.Name, &o.ObjectMeta, &o.Spec
	case *appsv1.Deployment:
		return "Deployment/" + o.Name, &o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec
	case *appsv1.StatefulSet:
		return "StatefulSet/" + o.Name, &o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec
	case *appsv1.DaemonSet:
		return "DaemonSet/" + o.Name, &o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec
	case *appsv1.ReplicaSet:
		return "ReplicaSet/" + o.Name, &o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec
	case *batchv1.Job:
		return "Job/" + o.Name, &o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec
	case *batchv1.CronJob:
		t := &o.Spec.JobTemplate.Spec.Template
		return "CronJob/" + o.Name, &t.ObjectMeta, &t.Spec
	}
	return "", nil, nil
}

func run() (int, error) {
	levelFlag := flag.String("level", "restricted", "Pod Security Standards level: privileged, baseline or restricted")
	versionFlag := flag.String("version", "latest", "policy version, e.g. latest or v1.36")
	flag.Parse()

	level, err := api.ParseLevel(*levelFlag)
	if err != nil {
		return 2, err
	}
	version, err := api.ParseVersion(*versionFlag)
	if err != nil {
		return 2, err
	}
	evaluator, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	if err != nil {
		return 2, err
	}

	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{corev1.AddToScheme, appsv1.AddToScheme, batchv1.AddToScheme} {
		if err := add(scheme); err != nil {
			return 2, err
		}
	}
	decoder := serializer.NewCodecFactory(scheme).UniversalDeserializer()

	reader := utilyaml.NewYAMLReader(bufio.NewReader(os.Stdin))
	out := json.NewEncoder(os.Stdout)
	refused, checked := 0, 0
	for {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return 2, err
		}
		obj, _, err := decoder.Decode(doc, nil, nil)
		if err != nil {
			continue // not a kind with a pod spec (or empty document)
		}
		name, meta, spec := podSpecOf(obj)
		if spec == nil {
			continue
		}
		checked++
		res := result{Object: name, Allowed: true, Violations: []string{}}
		for _, check := range evaluator.EvaluatePod(api.LevelVersion{Level: level, Version: version}, meta, spec) {
			if !check.Allowed {
				res.Allowed = false
				res.Violations = append(res.Violations, check.ForbiddenReason+": "+check.ForbiddenDetail)
			}
		}
		if !res.Allowed {
			refused++
		}
		if err := out.Encode(res); err != nil {
			return 2, err
		}
	}
	if checked == 0 {
		return 2, errors.New("no pod spec found in the input")
	}
	if refused > 0 {
		return 1, nil
	}
	return 0, nil
}

func main() {
	code, err := run()
	if err != nil {
		fmt.Fprintln(os.Stderr, "psa-check:", err)
	}
	os.Exit(code)
}
